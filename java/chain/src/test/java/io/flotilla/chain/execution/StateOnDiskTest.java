package io.flotilla.chain.execution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.storage.Block;
import io.flotilla.chain.storage.BlockHeader;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.storage.StateDiff;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.StateRoot;
import io.flotilla.evm.trie.PatriciaTrie;
import io.flotilla.evm.trie.TrieProof;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state on disk: opening a chain reads none of its state; old states are pruned exactly when they leave the
 * history window (never a node a kept or pinned state still uses, even when two positions hold the same node); an
 * archive keeps all; the window survives a restart.
 */
class StateOnDiskTest {
    static final Address PROPOSER = Address.fromHex("0x00000000000000000000000000000000000000b0");

    @TempDir
    Path dir;

    static Genesis genesis(int accounts) {
        Map<Address, Genesis.GenesisAccount> alloc = new HashMap<>();
        for (int i = 0; i < accounts; i++) {
            Map<Word, Word> slots = new HashMap<>();
            if (i % 3 == 0 && i < 45) for (int k = 0; k < 20; k++) slots.put(Word.of(k), Word.of(k + 1));
            alloc.put(address(i), new Genesis.GenesisAccount(BigInteger.valueOf(1000 + i), i % 50, i % 3 == 0 && i < 45 ? new byte[] {0x60, (byte) i} : new byte[0], slots));
        }
        return new Genesis(new ChainConfig(31_337_016L, ChainConfig.DEFAULT_GAS_LIMIT, BigInteger.ONE), 1_700_000_000L, PROPOSER, new byte[0], alloc);
    }

    static Address address(int i) {
        return Address.of(java.nio.ByteBuffer.allocate(20).put((byte) 0x5e).putInt(i + 1).array());
    }

    /** Commits a block with no transactions and {@code diff} as its state changes (the root derived as a member does). */
    static void commit(ChainState chain, StateDiff diff) {
        StateTries.Update update = chain.read(s -> {
            OverlayWorldState after = new OverlayWorldState(s);
            OverlayWorldState.applyTo(after, diff);
            return chain.stateTries().update(after, diff);
        });
        byte[] root = update.root();
        BlockHeader parent = chain.head();
        BlockHeader h = new BlockHeader(parent.hash(), parent.number() + 1, parent.timestamp() + 1, root, PatriciaTrie.EMPTY_ROOT.clone(),
                PatriciaTrie.EMPTY_ROOT.clone(), new byte[256], parent.gasLimit(), 0, parent.baseFeePerGas(), PROPOSER, new byte[0], new byte[0]);
        chain.commit(new ExecutedBlock(new Block(h, List.of()), List.of(), diff, update));
    }

    /** Accounts {@code from} (inclusive) to {@code to}, each with a balance of 1000 + its index. */
    static StateDiff newAccounts(int from, int to) {
        Map<Address, Account> accounts = new HashMap<>();
        for (int i = from; i < to; i++) accounts.put(address(i), Account.of(0, Word.of(1000 + i), new byte[0]));
        return new StateDiff(accounts, java.util.Set.of(), Map.of());
    }

    static Address[] pool() {
        Address[] pool = new Address[40];
        for (int i = 0; i < pool.length; i++) pool[i] = address(i);
        return pool;
    }

    /** Every account and slot of the state after {@code n}, read through its tries (throws if a node is missing). */
    private static void assertWhole(ChainState chain, long n) {
        byte[] root = chain.header(n).orElseThrow().stateRoot();
        assertArrayEquals(root, StateRoot.compute(chain.stateAt(n).orElseThrow()), "the tries of block " + n);
    }

    @Test
    void prunedNodesAreExactlyThoseNoKeptStateUses() {
        Address[] pool = pool();
        try (ChainStore store = ChainStore.open(dir)) {
            ChainState chain = ChainState.open(store, genesis(15), new ChainState.StateOptions(3, false));
            Random rnd = new Random(11);
            for (int b = 1; b <= 80; b++) {
                int number = b;
                commit(chain, chain.read(s -> StateTriesTest.randomDiff(rnd, pool, s, number)));
                long head = chain.head().number();
                for (long n = Math.max(0, head - 3); n <= head; n++) assertWhole(chain, n);
                assertArrayEquals(chain.head().stateRoot(), StateRoot.compute(chain.read(s -> s)), "the flat records are the head's state");
                if (head > 3) {
                    long gone = head - 4;
                    assertTrue(chain.stateAt(gone).isEmpty(), "block " + gone + " left the window");
                    byte[] oldRoot = chain.header(gone).orElseThrow().stateRoot();
                    boolean stillUsed = false;
                    for (long n = head - 3; n <= head; n++) stillUsed |= java.util.Arrays.equals(oldRoot, chain.header(n).orElseThrow().stateRoot());
                    if (!stillUsed) assertNull(store.nodes().get(oldRoot), "the root node of block " + gone + " was released");
                }
            }
            assertEquals(chain.head().number() - 3, chain.oldestState());
            // What is left is what the kept states hold: no node leaked by 80 blocks of churn (the 15 accounts' tries
            // take a few hundred nodes).
            assertTrue(countNodes(dir, store) < 1_000, countNodes(dir, store) + " nodes kept");
        }
    }

    private static long countNodes(Path dir, ChainStore store) {
        return store.countKeys((byte) 'x');
    }

    @Test
    void aPinnedStateIsNeverPrunedAndGoesOnceReleased() throws Exception {
        Address[] pool = pool();
        try (ChainStore store = ChainStore.open(dir)) {
            ChainState chain = ChainState.open(store, genesis(15), new ChainState.StateOptions(2, false));
            Random rnd = new Random(3);
            for (int b = 1; b <= 3; b++) {
                int number = b;
                commit(chain, chain.read(s -> StateTriesTest.randomDiff(rnd, pool, s, number)));
            }
            StatePins.Pin pin = chain.pin(3).orElseThrow();
            for (int b = 4; b <= 15; b++) {
                int number = b;
                commit(chain, chain.read(s -> StateTriesTest.randomDiff(rnd, pool, s, number)));
            }
            assertEquals(3, chain.oldestState(), "the window stops at the pin");
            assertWhole(chain, 3);
            byte[] root3 = chain.header(3).orElseThrow().stateRoot();
            ChainState.AccountProof p = chain.proof(3, pool[0], List.of(Word.of(1))).orElseThrow();
            assertTrue(TrieProof.verify(root3, Keccak.hash(pool[0].toArray()), p.accountProof()).isPresent() == (chain.stateAt(3).orElseThrow().account(pool[0]) != null));
            pin.close();
            commit(chain, chain.read(s -> StateTriesTest.randomDiff(rnd, pool, s, 16)));
            assertEquals(14, chain.oldestState());
            assertTrue(chain.stateAt(3).isEmpty());
            assertNull(store.nodes().get(root3), "released with the pin");
            assertTrue(chain.pin(3).isEmpty(), "a state no longer kept cannot be pinned");
        }
    }

    @Test
    void anArchiveKeepsEveryState() {
        Address[] pool = pool();
        try (ChainStore store = ChainStore.open(dir)) {
            ChainState chain = ChainState.open(store, genesis(15), new ChainState.StateOptions(2, true));
            Random rnd = new Random(5);
            for (int b = 1; b <= 20; b++) {
                int number = b;
                commit(chain, chain.read(s -> StateTriesTest.randomDiff(rnd, pool, s, number)));
            }
            for (long n = 0; n <= 20; n++) assertWhole(chain, n);
            assertEquals(0, chain.oldestState());
        }
    }

    @Test
    void reopeningReadsNoStateAndKeepsTheWindow() throws Exception {
        int accounts = 30_000;
        Address[] pool = pool();
        byte[] headRoot;
        try (ChainStore store = ChainStore.open(dir)) {
            ChainState chain = ChainState.open(store, genesis(15));
            for (int from = 15; from < accounts; from += 10_000) commit(chain, newAccounts(from, Math.min(accounts, from + 10_000)));
            Random rnd = new Random(9);
            for (int b = 1; b <= 5; b++) {
                int number = b;
                commit(chain, chain.read(s -> StateTriesTest.randomDiff(rnd, pool, s, number)));
            }
            headRoot = chain.head().stateRoot();
        }
        Genesis g = genesis(15);
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (ChainStore store = ChainStore.open(dir)) {
            long before = threads.getCurrentThreadAllocatedBytes();
            ChainState chain = ChainState.open(store, g);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            // The state is 30,000 accounts (several MB as objects); opening reads the head and the genesis check only.
            assertTrue(allocated < 4L << 20, "opening allocated " + allocated + " bytes");
            assertEquals(0, store.nodes().cachedBytes() > 64 << 10 ? 1 : 0, "no trie was walked at open");
            assertArrayEquals(headRoot, chain.stateTries().root());
            Account a = chain.account(address(29_999));
            assertEquals(BigInteger.valueOf(1000 + 29_999), a.balance().toBigInteger());
            for (long n = 3; n <= 8; n++) {
                ChainState.AccountProof p = chain.proof(n, address(20_000), List.of()).orElseThrow();
                assertTrue(TrieProof.verify(chain.header(n).orElseThrow().stateRoot(), Keccak.hash(address(20_000).toArray()), p.accountProof()).isPresent(),
                        "block " + n + "'s state is still kept after the restart");
            }
            commit(chain, chain.read(s -> StateTriesTest.randomDiff(new Random(1), pool, s, 9)));
            assertNotNull(chain.stateAt(9).orElseThrow().account(address(29_998)));
        }
    }

    @Test
    void aStagedSnapshotIsInstalledIntoTheStoreAndPrunedPerPosition() {
        Address[] pool = pool();
        // The source: 5 accounts start with the same storage (the same storage trie at 5 positions).
        try (ChainStore src = ChainStore.open(dir.resolve("src")); ChainStore dst = ChainStore.open(dir.resolve("dst"))) {
            ChainState source = ChainState.open(src, genesis(15));
            commitRandomBlocks(source, pool, new Random(17), 6);
            // Staged as a snapshot sync stages it: every node once per position, flat records, storage roots, the block.
            long height = source.head().number();
            ChainState joiner = ChainState.open(dst, genesis(15), new ChainState.StateOptions(2, false));
            stage(source, height, joiner.snapshotStaging());
            joiner.installStaged(height);
            assertArrayEquals(source.head().stateRoot(), joiner.head().stateRoot());
            assertArrayEquals(source.head().stateRoot(), StateRoot.compute(joiner.read(s -> s)), "the installed flat records");
            // Blocks after it change the shared storage at some positions; with a 2-block window the released nodes
            // go, and every kept state stays whole (a node shared by another position is kept).
            Random more = new Random(23);
            for (int b = 1; b <= 30; b++) {
                int number = (int) height + b;
                commit(joiner, joiner.read(s -> StateTriesTest.randomDiff(more, pool, s, number)));
                long head = joiner.head().number();
                for (long n = Math.max(height, head - 2); n <= head; n++) assertWhole(joiner, n);
            }
            assertTrue(joiner.stateAt(height).isEmpty(), "the installed state left the window");
        }
    }

    /** Commits {@code blocks} blocks, each of random changes to {@code pool}'s accounts and storage. */
    private static void commitRandomBlocks(ChainState chain, Address[] pool, Random rnd, int blocks) {
        for (int b = 0; b < blocks; b++) {
            int number = (int) chain.head().number() + 1;
            commit(chain, chain.read(s -> StateTriesTest.randomDiff(rnd, pool, s, number)));
        }
    }

    /** Stages {@code source}'s state at its head {@code height} as a snapshot sync does: nodes per position, flat records, the block. */
    private static void stage(ChainState source, long height, ChainStore.Staging staging) {
        io.flotilla.evm.state.WorldState at = source.stateAt(height).orElseThrow();
        try (ChainStore.Staging.Batch batch = staging.batch()) {
            batch.block(source.block(height).orElseThrow());
            PatriciaTrie accounts = PatriciaTrie.open(source.head().stateRoot(), source.trieNodes());
            accounts.forEachStoredNode(h -> batch.node(source.trieNodes().get(h)));
            for (Address a : at.addresses()) {
                Account acc = at.account(a);
                byte[] storageRoot = StateRoot.storageRoot(at.storageOf(a));
                batch.account(a, acc.nonce(), acc.balance(), acc.code().length == 0 ? new byte[0] : acc.codeHash()).storageRoot(a, storageRoot);
                if (acc.code().length > 0) batch.code(acc.codeHash(), acc.code());
                at.storageOf(a).forEach((k, v) -> batch.slot(a, k, v));
                PatriciaTrie.open(storageRoot, source.trieNodes()).forEachStoredNode(h -> batch.node(source.trieNodes().get(h)));
            }
            batch.write();
        }
    }

    @Test
    void anInstallInterruptedAfterItsSealIsCompletedWhenTheStoreOpensAgain() throws Exception {
        Address[] pool = pool();
        long height;
        byte[] root;
        try (ChainStore src = ChainStore.open(dir.resolve("src")); ChainStore dst = ChainStore.open(dir.resolve("dst"))) {
            ChainState source = ChainState.open(src, genesis(15));
            commitRandomBlocks(source, pool, new Random(29), 4);
            height = source.head().number();
            root = source.head().stateRoot();
            ChainState joiner = ChainState.open(dst, genesis(3));
            commit(joiner, newAccounts(40_000, 40_002)); // state of its own, which the install must replace
            stage(source, height, joiner.snapshotStaging());
            joiner.snapshotStaging().seal(height);
            // The crash: the store closes after the seal, with a table file of an earlier attempt left behind.
            java.nio.file.Files.createDirectories(dir.resolve("dst/install"));
            java.nio.file.Files.write(dir.resolve("dst/install/staged-0-0.sst"), new byte[] {1, 2, 3});
        }
        try (ChainStore dst = ChainStore.open(dir.resolve("dst"))) {
            ChainState joiner = ChainState.open(dst, genesis(3));
            assertEquals(height, joiner.head().number(), "the sealed snapshot's block is the head");
            assertArrayEquals(root, joiner.head().stateRoot());
            assertArrayEquals(root, StateRoot.compute(joiner.read(s -> s)), "the flat records are the snapshot's, none of the genesis'");
            assertWhole(joiner, height);
            assertTrue(joiner.snapshotStaging().header(height).isEmpty(), "the staging is empty");
            assertFalse(java.nio.file.Files.exists(dir.resolve("dst/install")), "the table files are gone");
        }
    }

    @Test
    void aStoreWrittenBeforeTheTriesWereKeptIsMigratedAtOpen() {
        Genesis g = genesis(15);
        try (ChainStore store = ChainStore.open(dir)) {
            ExecutedBlock genesisBlock = ChainState.genesisBlock(g);
            store.commit(genesisBlock.block(), List.of(), genesisBlock.stateDiff()); // flat records only, as before
            assertNull(store.nodes().get(genesisBlock.block().header().stateRoot()));
        }
        try (ChainStore store = ChainStore.open(dir)) {
            ChainState chain = ChainState.open(store, g);
            assertNotNull(store.nodes().get(chain.head().stateRoot()), "the tries were written at open");
            assertWhole(chain, 0);
            commit(chain, chain.read(s -> StateTriesTest.randomDiff(new Random(2), pool(), s, 1)));
            assertWhole(chain, 0);
            assertWhole(chain, 1);
        }
    }
}
