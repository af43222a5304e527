package io.flotilla.chain.storage;

import static io.flotilla.chain.tx.TestTxs.ALICE;
import static io.flotilla.chain.tx.TestTxs.BOB;
import static io.flotilla.chain.tx.TestTxs.CHAIN_ID;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.chain.tx.TxDecoder;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.InMemoryWorldState;
import io.flotilla.evm.state.Log;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChainStoreTest {
    private static final Address CONTRACT = Address.fromHex("0x00000000000000000000000000000000000c0de1");
    private final TxDecoder decoder = new TxDecoder(CHAIN_ID, true);

    @TempDir
    Path dir;

    private static BlockHeader header(long number, byte[] parent) {
        return new BlockHeader(parent, number, 1_700_000_000L + number, new byte[32], new byte[32], new byte[32], new byte[256],
                30_000_000, 21_000, BigInteger.TEN, Address.fromHex("0x00000000000000000000000000000000000000aa"),
                new byte[] {1, 2}, new byte[] {9, 9, 9});
    }

    @Test
    void headerHashIgnoresTheCommitCertificateAndEncodingRoundTrips() {
        BlockHeader h = header(5, new byte[32]);
        BlockHeader other = h.withCommitCertificate(new byte[] {7});
        assertArrayEquals(h.hash(), other.hash(), "validators sign the hash, so their signatures cannot be part of it");
        assertEquals(h, BlockHeader.decode(h.encode()));
        assertArrayEquals(new byte[] {7}, BlockHeader.decode(other.encode()).commitCertificate());
    }

    @Test
    void blocksTravelAsOneRlpPayloadAndComeBackWithRecoveredSenders() throws Exception {
        SignedTransaction tx = decoder.decode(TestTxs.transfer(ALICE, 0, BOB.getAddress(), BigInteger.ONE));
        Block block = new Block(header(3, new byte[32]), List.of(tx));
        byte[] wire = block.encode();

        assertArrayEquals(block.hash(), Block.headerOf(wire).hash(), "the header alone gives the hash consensus votes on");
        Block back = Block.decode(wire, decoder);
        assertEquals(block.header(), back.header());
        assertEquals(tx.hashHex(), back.transactions().get(0).hashHex());
        assertEquals(TestTxs.address(ALICE), back.transactions().get(0).sender());
    }

    @Test
    void anAccountReadAfterEachCommitIsTheCommittedOneCreatedChangedAndDeleted() {
        Address a = Address.fromHex("0x00000000000000000000000000000000000000a1");
        BlockHeader parent = header(0, new byte[32]);
        try (ChainStore store = ChainStore.open(dir)) {
            store.commit(new Block(parent, List.of()), List.of(), new StateDiff(Map.of(), Set.of(), Map.of()));
            assertNull(store.account(a), "absent, and read (so remembered as absent) before it exists");
            long[] balances = {5, 6, 7};
            for (int i = 0; i < balances.length; i++) {
                BlockHeader h = header(i + 1, parent.hash());
                store.commit(new Block(h, List.of()), List.of(), new StateDiff(Map.of(a, Account.of(i, Word.of(balances[i]), new byte[0])), Set.of(), Map.of()));
                assertEquals(Word.of(balances[i]), store.account(a).balance(), "after block " + (i + 1));
                assertEquals(i, store.account(a).nonce());
                parent = h;
            }
            Map<Address, Account> deleted = new HashMap<>();
            deleted.put(a, null);
            store.commit(new Block(header(4, parent.hash()), List.of()), List.of(), new StateDiff(deleted, Set.of(), Map.of()));
            assertNull(store.account(a), "deleted");
        }
        try (ChainStore store = ChainStore.open(dir)) {
            assertNull(store.account(a), "and so in the store itself");
        }
    }

    @Test
    void committedBlocksReceiptsIndicesAndStateSurviveReopen() throws Exception {
        SignedTransaction tx = decoder.decode(TestTxs.transfer(ALICE, 0, BOB.getAddress(), BigInteger.ONE));
        BlockHeader genesis = header(0, new byte[32]);
        BlockHeader one = header(1, genesis.hash());
        Log log = new Log(CONTRACT, List.of(Word.of(0xaa)), new byte[] {1});
        TxReceipt receipt = new TxReceipt(0, true, 21_000, 21_000, BigInteger.TEN, null, List.of(log));

        Map<Address, Account> accounts = new HashMap<>();
        accounts.put(tx.sender(), Account.of(1, Word.of(1_000), new byte[0]));
        accounts.put(CONTRACT, Account.of(1, Word.ZERO, new byte[] {0x60, 0x00}));
        Map<Address, Map<Word, Word>> slots = Map.of(CONTRACT, Map.of(Word.of(1), Word.of(42), Word.of(2), Word.of(43)));

        try (ChainStore store = ChainStore.open(dir)) {
            assertTrue(store.headNumber().isEmpty());
            store.commit(new Block(genesis, List.of()), List.of(), new StateDiff(Map.of(), Set.of(), Map.of()));
            store.commit(new Block(one, List.of(tx)), List.of(receipt), new StateDiff(accounts, Set.of(), slots));
        }
        try (ChainStore store = ChainStore.open(dir)) {
            assertEquals(1, store.headNumber().getAsLong());
            assertEquals(one, store.header(1).orElseThrow());
            assertEquals(1, store.numberOf(one.hash()).getAsLong());
            Block block = store.block(1, decoder).orElseThrow();
            assertEquals(tx.hashHex(), block.transactions().get(0).hashHex());
            assertEquals(tx.sender(), block.transactions().get(0).sender());
            assertEquals(new TxLocation(1, 0), store.txLocation(tx.hash()).orElseThrow());

            TxReceipt back = store.receipts(1).get(0);
            assertEquals(receipt.cumulativeGasUsed(), back.cumulativeGasUsed());
            assertEquals(receipt.effectiveGasPrice(), back.effectiveGasPrice());
            assertNull(back.contractAddress());
            assertEquals(CONTRACT, back.logs().get(0).address());
            assertEquals(List.of(Word.of(0xaa)), back.logs().get(0).topics());
            assertArrayEquals(receipt.bloom(), back.bloom());

            InMemoryWorldState state = new InMemoryWorldState();
            store.loadState(state);
            assertEquals(Word.of(1_000), state.account(tx.sender()).balance());
            assertArrayEquals(new byte[] {0x60, 0x00}, state.account(CONTRACT).code());
            assertEquals(Word.of(42), state.storage(CONTRACT, Word.of(1)));
        }
    }

    @Test
    void deletionsAndStorageClearingArePersisted() {
        Map<Address, Account> created = Map.of(CONTRACT, Account.of(1, Word.ONE, new byte[] {1}));
        Map<Address, Map<Word, Word>> slots = Map.of(CONTRACT, Map.of(Word.of(1), Word.of(5)));
        BlockHeader g = header(0, new byte[32]);
        BlockHeader b1 = header(1, g.hash());
        BlockHeader b2 = header(2, b1.hash());
        Map<Address, Account> deleted = new HashMap<>();
        deleted.put(CONTRACT, null);
        try (ChainStore store = ChainStore.open(dir)) {
            store.commit(new Block(g, List.of()), List.of(), new StateDiff(created, Set.of(), slots));
            store.commit(new Block(b1, List.of()), List.of(), new StateDiff(Map.of(), Set.of(CONTRACT), Map.of(CONTRACT, Map.of(Word.of(2), Word.of(6)))));
            InMemoryWorldState s = new InMemoryWorldState();
            store.loadState(s);
            assertEquals(Word.ZERO, s.storage(CONTRACT, Word.of(1)), "cleared before the new write");
            assertEquals(Word.of(6), s.storage(CONTRACT, Word.of(2)));

            store.commit(new Block(b2, List.of()), List.of(), new StateDiff(deleted, Set.of(CONTRACT), Map.of()));
            InMemoryWorldState after = new InMemoryWorldState();
            store.loadState(after);
            assertNull(after.account(CONTRACT));
            assertFalse(after.hasStorage(CONTRACT));
        }
    }
}
