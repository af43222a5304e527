package io.flotilla.chain.execution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.flotilla.chain.storage.StateDiff;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.InMemoryWorldState;
import io.flotilla.evm.state.StateRoot;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The per-block incremental state root equals the root rebuilt from the whole state, over random blocks that create,
 * update and delete accounts, write and zero slots, and clear whole storages (self-destruct, re-creation).
 */
class StateTriesTest {
    /** A random block's state changes over {@code pool}: creations, updates, self-destructs, re-creations, slot writes and zeroing. */
    static StateDiff randomDiff(Random rnd, Address[] pool, io.flotilla.evm.state.WorldState state, int block) {
        Map<Address, Account> accounts = new HashMap<>();
        Set<Address> cleared = new HashSet<>();
        Map<Address, Map<Word, Word>> writes = new HashMap<>();
        int changes = 1 + rnd.nextInt(8);
        for (int c = 0; c < changes; c++) {
            Address a = pool[rnd.nextInt(pool.length)];
            switch (rnd.nextInt(5)) {
                case 0 -> { // delete (self-destruct): account and storage go
                    accounts.put(a, null);
                    cleared.add(a);
                    writes.remove(a);
                }
                case 1 -> accounts.put(a, Account.of(rnd.nextInt(100), Word.of(rnd.nextInt(1_000_000)), new byte[0]));
                case 2 -> { // re-created with new storage
                    accounts.put(a, Account.of(1, Word.ZERO, new byte[] {0x00, (byte) block}));
                    cleared.add(a);
                    writes.computeIfAbsent(a, x -> new HashMap<>()).put(Word.of(rnd.nextInt(40)), Word.of(1 + rnd.nextInt(9)));
                }
                default -> { // slot writes, some zeroing (removal) — on existing contracts mostly
                    Address contract = state.hasStorage(a) || rnd.nextBoolean() ? a : pool[3 * rnd.nextInt(7)];
                    if (state.account(contract) == null && !accounts.containsKey(contract)) {
                        accounts.put(contract, Account.of(1, Word.ZERO, new byte[] {0x01}));
                    }
                    Map<Word, Word> w = writes.computeIfAbsent(contract, x -> new HashMap<>());
                    for (int k = 0; k < 1 + rnd.nextInt(6); k++) w.put(Word.of(rnd.nextInt(40)), rnd.nextInt(3) == 0 ? Word.ZERO : Word.of(1 + rnd.nextInt(1000)));
                }
            }
        }
        return new StateDiff(accounts, cleared, writes);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void incrementalRootEqualsTheFullRebuildAfterEveryBlock(long seed) {
        Random rnd = new Random(seed);
        InMemoryWorldState state = new InMemoryWorldState();
        Address[] pool = new Address[60];
        for (int i = 0; i < pool.length; i++) pool[i] = Address.of(java.util.Arrays.copyOf(new byte[] {(byte) (i + 1), (byte) seed}, 20));
        for (int i = 0; i < 20; i++) {
            state.putAccount(pool[i], Account.of(i, Word.of(1000 + i), i % 3 == 0 ? new byte[] {0x60, (byte) i} : new byte[0]));
            if (i % 3 == 0) for (int k = 0; k < 30; k++) state.putStorage(pool[i], Word.of(k), Word.of(k + 1));
        }
        StateTries tries = StateTries.build(state);
        assertArrayEquals(StateRoot.compute(state), tries.root());
        for (int block = 0; block < 60; block++) {
            StateDiff diff = randomDiff(rnd, pool, state, block);
            OverlayWorldState after = new OverlayWorldState(state);
            OverlayWorldState.applyTo(after, diff);
            StateTries.Update update = tries.update(after, diff);
            OverlayWorldState.applyTo(state, diff);
            tries.apply(update);
            assertArrayEquals(StateRoot.compute(state), update.root(), "block " + block + " (seed " + seed + ")");
            assertArrayEquals(StateRoot.compute(state), StateTries.build(state).root());
        }
    }
}
