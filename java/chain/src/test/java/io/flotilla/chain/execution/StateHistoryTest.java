package io.flotilla.chain.execution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.storage.StateDiff;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.InMemoryWorldState;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The undo records: what each block overwrote, read back for any block in the window, bounded by blocks and entries. */
class StateHistoryTest {
    private static final Address A = Address.precompile(0x41);
    private static final Address B = Address.precompile(0x42);

    private static void commit(StateHistory h, InMemoryWorldState state, long number, StateDiff d) {
        h.record(number, state, d);
        OverlayWorldState.applyTo(state, d);
    }

    private static StateDiff slots(Address a, long... keyValues) {
        Map<Word, Word> w = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) w.put(Word.of(keyValues[i]), Word.of(keyValues[i + 1]));
        return new StateDiff(new HashMap<>(), new HashSet<>(), Map.of(a, w));
    }

    @Test
    void readsGiveTheStateAfterEachBlockOfTheWindow() {
        InMemoryWorldState state = new InMemoryWorldState();
        StateHistory h = new StateHistory(128, 1_000);
        commit(h, state, 1, new StateDiff(new HashMap<>(Map.of(A, Account.of(1, Word.of(100), new byte[0]))), Set.of(), slots(A, 1, 10).storageWrites()));
        commit(h, state, 2, slots(A, 1, 20, 2, 5));
        Map<Address, Account> deleted = new HashMap<>();
        deleted.put(A, null); // self-destructed: account and storage gone
        commit(h, state, 3, new StateDiff(deleted, Set.of(A), Map.of()));
        commit(h, state, 4, new StateDiff(new HashMap<>(Map.of(B, Account.of(0, Word.of(7), new byte[0]))), Set.of(), Map.of()));

        assertEquals(Word.of(10), h.storage(state, 1, A, Word.of(1)));
        assertEquals(Word.ZERO, h.storage(state, 1, A, Word.of(2)));
        assertEquals(Word.of(20), h.storage(state, 2, A, Word.of(1)));
        assertEquals(Map.of(Word.of(1), Word.of(20), Word.of(2), Word.of(5)), h.storageOf(state, 2, A));
        assertEquals(Map.of(), h.storageOf(state, 3, A));
        assertEquals(Word.ZERO, h.storage(state, 3, A, Word.of(1)));
        assertEquals(100, h.account(state, 2, A).balance().l0());
        assertNull(h.account(state, 3, A));
        assertNull(h.account(state, 0, A), "before block 1 it did not exist");
        assertNull(h.account(state, 3, B));
        assertEquals(7, h.account(state, 4, B).balance().l0());
        assertEquals(Set.of(A), h.addresses(state, 2));
        assertEquals(Set.of(B), h.addresses(state, 4));
    }

    @Test
    void theWindowIsBoundedByBlocksAndByEntries() {
        InMemoryWorldState state = new InMemoryWorldState();
        StateHistory byBlocks = new StateHistory(2, 1_000);
        for (long n = 1; n <= 5; n++) commit(byBlocks, state, n, slots(A, n, n));
        assertEquals(2, byBlocks.blocks());
        assertTrue(byBlocks.covers(3, 5), "blocks 4 and 5 are kept: the state after 3 can be rebuilt");
        assertFalse(byBlocks.covers(2, 5));
        assertEquals(4, byBlocks.oldestUndoable(5));

        InMemoryWorldState other = new InMemoryWorldState();
        StateHistory byEntries = new StateHistory(128, 10);
        for (long n = 1; n <= 3; n++) commit(byEntries, other, n, slots(B, n, 1, n + 100, 1, n + 200, 1, n + 300, 1, n + 400, 1, n + 500, 1));
        assertEquals(1, byEntries.blocks(), "six slots a block, ten at most: only the last block's record fits");
        assertEquals(6, byEntries.entries());
        assertFalse(byEntries.covers(1, 3));
        assertTrue(byEntries.covers(2, 3));
    }
}
