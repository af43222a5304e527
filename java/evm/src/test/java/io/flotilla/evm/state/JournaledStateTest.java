package io.flotilla.evm.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Snapshots and reverts across accounts, storage, warm sets, transient storage and logs; state roots. */
class JournaledStateTest {
    private static final Address A = Address.fromHex("0xaa");
    private static final Address B = Address.fromHex("0xbb");

    @Test
    void revertRestoresAccountsAndStorage() {
        InMemoryWorldState world = new InMemoryWorldState();
        Journal j = new Journal();
        JournaledState s = new JournaledState(world, j);
        s.addBalance(A, Word.of(100));
        int snap = j.snapshot();
        s.transfer(A, B, Word.of(40));
        s.setStorage(A, Word.ONE, Word.of(9));
        s.incrementNonce(A);
        assertEquals(Word.of(60), s.balance(A));
        j.revertTo(snap);
        assertEquals(Word.of(100), s.balance(A));
        assertNull(world.account(B));
        assertEquals(Word.ZERO, s.storage(A, Word.ONE));
        assertEquals(0, s.nonce(A));
    }

    @Test
    void destroyingAnAccountIsUndoneWithItsStorage() {
        InMemoryWorldState world = new InMemoryWorldState();
        Account before = Account.of(3, Word.of(50), Hex.decode("0x6000"));
        world.putAccount(A, before);
        world.putStorage(A, Word.ONE, Word.of(5));
        world.putStorage(A, Word.of(2), Word.of(6));
        Journal j = new Journal();
        JournaledState s = new JournaledState(world, j);
        s.destroy(A);
        s.destroy(B); // never existed: nothing to restore
        assertNull(world.account(A));
        assertFalse(world.hasStorage(A));
        j.revertTo(0);
        assertEquals(before, world.account(A));
        assertEquals(java.util.Map.of(Word.ONE, Word.of(5), Word.of(2), Word.of(6)), world.storageOf(A));
        assertNull(world.account(B));
        assertFalse(world.hasStorage(B));
    }

    @Test
    void originalValueIsTheValueBeforeTheFirstWrite() {
        InMemoryWorldState world = new InMemoryWorldState();
        world.putAccount(A, Account.of(1, Word.ZERO, new byte[0]));
        world.putStorage(A, Word.ONE, Word.of(5));
        JournaledState s = new JournaledState(world, new Journal());
        s.setStorage(A, Word.ONE, Word.of(6));
        s.setStorage(A, Word.ONE, Word.of(7));
        assertEquals(Word.of(5), s.originalStorage(A, Word.ONE));
        assertEquals(Word.of(7), s.storage(A, Word.ONE));
    }

    @Test
    void warmthTransientStorageAndLogsRevertWithTheFrame() {
        Journal j = new Journal();
        AccessSets access = new AccessSets(j);
        TransientStorage t = new TransientStorage(j);
        Substate sub = new Substate(j);
        int snap = j.snapshot();
        assertFalse(access.warm(A));
        assertTrue(access.warm(A));
        assertFalse(access.warm(A, Word.ONE));
        t.set(A, Word.ONE, Word.of(3));
        sub.addLog(new Log(A, List.of(), new byte[0]));
        sub.addRefund(4800);
        j.revertTo(snap);
        assertFalse(access.isWarm(A));
        assertFalse(access.warm(A, Word.ONE));
        assertEquals(Word.ZERO, t.get(A, Word.ONE));
        assertTrue(sub.logs().isEmpty());
        assertEquals(0, sub.refund());
    }

    @Test
    void emptyStateRootAndSingleAccountRoot() {
        InMemoryWorldState world = new InMemoryWorldState();
        assertEquals("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421", Hex.encode(StateRoot.compute(world)));
        assertEquals("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
                Hex.encode(StateRoot.storageRoot(java.util.Map.of())));
        world.putAccount(A, Account.of(0, Word.ONE, new byte[0]));
        byte[] one = StateRoot.compute(world);
        world.putStorage(A, Word.ONE, Word.ONE);
        assertFalse(java.util.Arrays.equals(one, StateRoot.compute(world)));
        world.putStorage(A, Word.ONE, Word.ZERO);
        assertEquals(Hex.encode(one), Hex.encode(StateRoot.compute(world)));
    }
}
