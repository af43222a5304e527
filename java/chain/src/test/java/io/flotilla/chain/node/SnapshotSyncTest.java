package io.flotilla.chain.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.consensus.BlockHash;
import io.flotilla.chain.consensus.CommitCertificate;
import io.flotilla.chain.consensus.ConsensusMessage;
import io.flotilla.chain.consensus.MemberSet;
import io.flotilla.chain.consensus.MessageCodec;
import io.flotilla.chain.consensus.NodeKey;
import io.flotilla.chain.consensus.Signature;
import io.flotilla.chain.execution.BlockExecutor;
import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.ExecutedBlock;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.execution.Genesis.GenesisAccount;
import io.flotilla.chain.execution.TxApplyResult;
import io.flotilla.chain.snapshot.ChainSnapshots;
import io.flotilla.chain.snapshot.SnapshotSink.Ref;
import io.flotilla.chain.snapshot.SnapshotSource;
import io.flotilla.chain.snapshot.StagedSink;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.crypto.Secp256k1;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * Snapshot sync driven by hand between chains built in the test: the joiner fetches the state of a certified height
 * from several peers, verifies every node, preimage and code, resumes after a restart, refuses tampered answers and
 * asks another peer, and leaves young chains to block replay. Serving stays within its request and answer limits.
 */
class SnapshotSyncTest {

    private static final long CHAIN_ID = 0x464C0000L + 15;
    private static final Credentials OWNER = Credentials.create("0x" + "15".repeat(32));
    private static final Address CONTRACT = Address.fromHex("0x00000000000000000000000000000000000c0de1");
    private static final byte[] CODE = Hex.decode("0x6001600055600160015500");
    private static final Genesis GENESIS = genesis();
    private static final Address HONEST = Secp256k1.addressOf(BigInteger.valueOf(2_001));
    private static final Address OTHER = Secp256k1.addressOf(BigInteger.valueOf(2_002));
    private static final Address LIAR = Secp256k1.addressOf(BigInteger.valueOf(2_003));
    private static final int INTERVAL = 16;
    private static final long MIN_GAP = 32;

    @TempDir
    Path dir;

    private final List<ChainStore> stores = new ArrayList<>();
    private final List<NodeKey> keys = new ArrayList<>();
    private final MemberSet set;

    /** A message the joiner sent. */
    private record Sent(Address peer, byte kind, byte[] body) {}

    private final Deque<Sent> outbox = new ArrayDeque<>();
    private int installed;

    SnapshotSyncTest() {
        for (int i = 0; i < 4; i++) keys.add(new NodeKey(BigInteger.valueOf(7_919L * (i + 3))));
        set = MemberSet.sorted(keys.stream().map(NodeKey::address).toList());
    }

    private static Genesis genesis() {
        Map<Address, GenesisAccount> alloc = new HashMap<>();
        alloc.put(Address.fromHex(OWNER.getAddress()), GenesisAccount.funded(BigInteger.TEN.pow(24)));
        for (int i = 0; i < 300; i++) alloc.put(Secp256k1.addressOf(BigInteger.valueOf(50_000 + i)), GenesisAccount.funded(BigInteger.valueOf(i + 1)));
        Map<Word, Word> slots = new HashMap<>();
        for (int i = 0; i < 500; i++) slots.put(Word.of(i), Word.of(1_000 + i));
        alloc.put(CONTRACT, new GenesisAccount(BigInteger.ZERO, 1, CODE, slots));
        return new Genesis(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, BigInteger.ZERO), 1_700_000_000L,
                Address.fromHex(OWNER.getAddress()), new byte[0], alloc);
    }

    @AfterEach
    void close() {
        stores.forEach(ChainStore::close);
    }

    private ChainState chain(String name) {
        ChainStore store = ChainStore.open(dir.resolve(name));
        stores.add(store);
        return ChainState.open(store, GENESIS);
    }

    /** {@code count} certified blocks, each paying a new account (so the state moves on from the genesis). */
    private void grow(ChainState chain, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            long h = chain.head().number() + 1;
            BlockExecutor.Session s = chain.beginBlock(1_700_000_000L + h, keys.get(0).address(), set.encode());
            byte[] raw = TestTxs.legacy(OWNER, CHAIN_ID, h - 1, BigInteger.TEN.pow(9), 21_000,
                    Secp256k1.addressOf(BigInteger.valueOf(90_000 + h)).toString(), BigInteger.valueOf(h), "0x");
            if (!(s.apply(chain.decoder().decode(raw)) instanceof TxApplyResult.Included)) throw new IllegalStateException("not included");
            ExecutedBlock e = s.finish();
            BlockHash hash = new BlockHash(e.block().hash());
            byte[] digest = MessageCodec.signingDigest(CHAIN_ID, new ConsensusMessage.Precommit(h, 0, Optional.of(hash)));
            List<Signature> sigs = keys.subList(0, 3).stream().map(k -> k.sign(digest)).toList();
            chain.commit(e.withCommitCertificate(new CommitCertificate(h, 0, hash, sigs).encode()));
        }
    }

    private SnapshotSync syncOn(ChainState joiner) {
        SnapshotSync s = new SnapshotSync(CHAIN_ID, joiner, new Membership(joiner, set), new StagedSink(joiner), new SnapshotSync.Host() {
            @Override
            public boolean send(Address peer, byte kind, byte[] body) {
                outbox.add(new Sent(peer, kind, body));
                return true;
            }

            @Override
            public void installed() {
                installed++;
            }
        }, MIN_GAP, 0);
        s.answerBytes(8 << 10); // small answers: the test's state takes many requests
        return s;
    }

    /** A peer serving from {@code chain}; {@code tamper} rewrites its node answers (identity for an honest one). */
    private record Peer(ChainState chain, ChainSnapshots snapshots, UnaryOperator<SnapshotWire.Nodes> tamper, List<Long> claims) {
        Peer(ChainState chain, ChainSnapshots snapshots, UnaryOperator<SnapshotWire.Nodes> tamper) {
            this(chain, snapshots, tamper, null);
        }

        List<Long> offered() {
            return claims == null ? snapshots.heights() : claims;
        }
    }

    private Peer peer(ChainState chain, UnaryOperator<SnapshotWire.Nodes> tamper) {
        return new Peer(chain, new ChainSnapshots(chain, INTERVAL, 2), tamper);
    }

    /** Delivers the joiner's messages to the peers and their answers back, at most {@code limit} answers. */
    private int run(SnapshotSync sync, Map<Address, Peer> peers, int limit, Map<Address, Integer> answersBy) throws Exception {
        int answers = 0;
        long now = 1_000;
        while (!outbox.isEmpty() && answers < limit) {
            Sent m = outbox.poll();
            now += 10;
            deliver(sync, peers, m, now);
            answersBy.merge(m.peer(), 1, Integer::sum);
            answers++;
        }
        return answers;
    }

    /** The peer's answer to {@code m}, handed to the joiner at {@code now}. */
    private static void deliver(SnapshotSync sync, Map<Address, Peer> peers, Sent m, long now) throws Exception {
        Peer p = peers.get(m.peer());
        {
            switch (m.kind()) {
                case BftReplica.GET_SNAPSHOTS -> sync.offered(m.peer(), p.offered(), now);
                case BftReplica.GET_BLOCKS -> {
                    long[] r = BlockSync.decodeRange(m.body());
                    sync.blocks(m.peer(), BlockSync.serve(p.chain(), r[0], r[1]), now);
                }
                case BftReplica.GET_NODES -> sync.nodes(m.peer(), SnapshotWire.nodes(p.tamper().apply(
                        SnapshotWire.serveNodes(p.snapshots(), SnapshotWire.decodeNodesRequest(m.body())))), now);
                case BftReplica.GET_CODE -> sync.codes(m.peer(), SnapshotWire.codes(
                        SnapshotWire.serveCode(p.snapshots(), SnapshotWire.decodeCodeRequest(m.body()))), now);
                default -> throw new AssertionError("unexpected kind " + m.kind());
            }
        }
    }

    @Test
    void aLostAnswerIsAskedForAgainWithinSecondsWithoutPenalisingItsMember() throws Exception {
        ChainState a = chain("a");
        Map<Address, Peer> peers = Map.of(HONEST, peer(a, x -> x));
        grow(a, 70);
        ChainState joiner = chain("joiner");
        SnapshotSync sync = syncOn(joiner);
        sync.peerIsAt(HONEST, 70, 0);
        long now = 1_000;
        int nodeAnswers = 0;
        Sent lost = null;
        while (!outbox.isEmpty()) {
            Sent m = outbox.poll();
            now += 10;
            if (m.kind() == BftReplica.GET_NODES && nodeAnswers == 3 && lost == null) {
                lost = m; // its answer never arrives
                continue;
            }
            deliver(sync, peers, m, now);
            if (m.kind() == BftReplica.GET_NODES) nodeAnswers++;
        }
        assertTrue(lost != null && installed == 0, "the sync waits for the lost answer");
        sync.tick(now + 1_000);
        assertTrue(outbox.isEmpty(), "not yet: answers took about 10 ms, but nothing is asked again under 2 s");
        sync.tick(now + SnapshotSync.MIN_RETRY_MS + 10);
        assertEquals(1, sync.retried(), "asked again after 2 s, not after the 10 s timeout");
        assertEquals(0, sync.strikes(HONEST), "a lost answer is not the member's offence");
        assertEquals(BftReplica.GET_NODES, outbox.peek().kind());
        now += SnapshotSync.MIN_RETRY_MS + 20;
        while (!outbox.isEmpty()) deliver(sync, peers, outbox.poll(), now += 10);
        assertEquals(1, installed);
        assertEquals(64, joiner.head().number());
        assertSameState(stateAt64(a), joiner);
    }

    private static void assertSameState(ChainState expected, ChainState actual) {
        assertArrayEquals(expected.head().stateRoot(), actual.head().stateRoot());
        assertArrayEquals(expected.stateTries().root(), actual.stateTries().root(), "the tries rebuilt from the installed state");
        assertEquals(expected.account(CONTRACT).balance(), actual.account(CONTRACT).balance());
        assertArrayEquals(CODE, actual.account(CONTRACT).code());
        assertEquals(Word.of(1_499), actual.storage(CONTRACT, Word.of(499)));
        Address paid = Secp256k1.addressOf(BigInteger.valueOf(90_000 + 40));
        assertEquals(Word.of(40), actual.account(paid).balance());
    }

    @Test
    void aJoinerFetchesTheStateOfTheNewestCertifiedSnapshotFromSeveralPeersThenHasItAsHead() throws Exception {
        ChainState a = chain("a");
        ChainState b = chain("b");
        Map<Address, Peer> peers = Map.of(HONEST, peer(a, x -> x), OTHER, peer(b, x -> x)); // they pin as blocks commit
        grow(a, 70);
        for (long n = 1; n <= 70; n++) b.apply(a.block(n).orElseThrow());
        assertEquals(List.of(48L, 64L), peers.get(HONEST).snapshots().heights(), "every 16 blocks, the last two");

        ChainState joiner = chain("joiner");
        SnapshotSync sync = syncOn(joiner);
        assertTrue(sync.handles(70, 0), "70 blocks behind, 32 or more: by snapshot");
        sync.peerIsAt(HONEST, 70, 0);
        sync.peerIsAt(OTHER, 70, 0);
        Map<Address, Integer> by = new HashMap<>();
        run(sync, peers, 10_000, by);

        assertEquals(1, installed);
        assertEquals(64, sync.installedAt());
        assertEquals(64, joiner.head().number(), "the snapshot's block is the head");
        assertArrayEquals(a.header(64).orElseThrow().hash(), joiner.head().hash());
        assertSameState(a.header(64).isPresent() ? stateAt64(a) : a, joiner);
        assertTrue(by.get(HONEST) > 3 && by.get(OTHER) > 3, "both peers served part of it: " + by);
        assertEquals(256 > 63 ? 63 : 256, countBlocks(joiner, 1, 63), "the blocks below it are kept (BLOCKHASH)");
        assertTrue(joiner.snapshotStaging().record(new byte[] {'t'}).isEmpty(), "the staging is emptied");
        // It goes on from there by executing the next blocks.
        for (long n = 65; n <= 70; n++) joiner.apply(a.block(n).orElseThrow());
        assertArrayEquals(a.head().stateRoot(), joiner.head().stateRoot());
    }

    /** A chain holding blocks 1..64 of {@code a} (the state at 64, to compare with). */
    private ChainState stateAt64(ChainState a) throws Exception {
        ChainState c = chain("at64-" + System.nanoTime());
        for (long n = 1; n <= 64; n++) c.apply(a.block(n).orElseThrow());
        return c;
    }

    private static int countBlocks(ChainState c, long from, long to) {
        int n = 0;
        for (long i = from; i <= to; i++) if (c.block(i).isPresent()) n++;
        return n;
    }

    @Test
    void aTamperedNodeOrPreimageIsRefusedAndItsPartAskedOfAnotherPeer() throws Exception {
        ChainState a = chain("a");
        Peer honest = peer(a, x -> x);
        ChainSnapshots pinned = honest.snapshots();
        grow(a, 66);
        UnaryOperator<SnapshotWire.Nodes> flipNode = n -> {
            if (n.items().isEmpty()) return n;
            List<SnapshotWire.Item> items = new ArrayList<>(n.items());
            byte[] node = items.getLast().node().clone();
            node[node.length - 1] ^= 1;
            items.set(items.size() - 1, new SnapshotWire.Item(node, items.getLast().preimages()));
            return new SnapshotWire.Nodes(n.id(), true, items);
        };
        Map<Address, Peer> peers = Map.of(HONEST, honest, LIAR, new Peer(a, pinned, flipNode));
        ChainState joiner = chain("joiner");
        SnapshotSync sync = syncOn(joiner);
        sync.peerIsAt(LIAR, 66, 0);
        sync.peerIsAt(HONEST, 66, 0);
        run(sync, peers, 10_000, new HashMap<>());
        assertTrue(sync.strikes(LIAR) >= 1, "the liar was penalised");
        assertEquals(64, joiner.head().number());
        assertSameState(stateAt64(a), joiner);

        // A wrong preimage (the address of another account) is refused as well.
        UnaryOperator<SnapshotWire.Nodes> swapPreimage = n -> {
            List<SnapshotWire.Item> items = new ArrayList<>();
            for (SnapshotWire.Item i : n.items()) {
                List<byte[]> pre = new ArrayList<>(i.preimages());
                if (!pre.isEmpty()) pre.set(0, Secp256k1.addressOf(BigInteger.valueOf(12_345)).toArray());
                items.add(new SnapshotWire.Item(i.node(), pre));
            }
            return new SnapshotWire.Nodes(n.id(), true, items);
        };
        ChainState joiner2 = chain("joiner2");
        SnapshotSync sync2 = syncOn(joiner2);
        Map<Address, Peer> peers2 = Map.of(HONEST, honest, LIAR, new Peer(a, pinned, swapPreimage));
        sync2.peerIsAt(LIAR, 66, 0);
        sync2.peerIsAt(HONEST, 66, 0);
        run(sync2, peers2, 10_000, new HashMap<>());
        assertTrue(sync2.strikes(LIAR) >= 1);
        assertEquals(64, joiner2.head().number());
    }

    @Test
    void aMemberOfferingAHeightItCannotProveDoesNotHoldUpTheSync() throws Exception {
        ChainState a = chain("a");
        Peer honest = peer(a, x -> x);
        grow(a, 66);
        // The liar offers a far higher snapshot than anybody has; it cannot serve a certified block there.
        Map<Address, Peer> peers = Map.of(HONEST, honest, LIAR, new Peer(a, honest.snapshots(), x -> x, List.of(1_000_000L)));
        ChainState joiner = chain("joiner");
        SnapshotSync sync = syncOn(joiner);
        sync.offered(OTHER, List.of(64L), 0);
        assertFalse(sync.active(), "heights nobody asked for are ignored");
        sync.nodes(OTHER, new byte[] {1, 2, 3}, 0);
        assertEquals(0, sync.strikes(OTHER), "nor are unasked nodes an offence or decoded");
        sync.peerIsAt(LIAR, 1_000_000, 0);
        sync.peerIsAt(HONEST, 66, 0);
        run(sync, peers, 10_000, new HashMap<>());
        assertTrue(sync.strikes(LIAR) >= 1, "the liar was penalised");
        assertEquals(64, joiner.head().number(), "the honest snapshot was installed");
    }

    @Test
    void aSnapshotBeingFetchedIsKeptBeyondTheLastTwoWithinABound() throws Exception {
        ChainState a = chain("a");
        ChainSnapshots snaps = new ChainSnapshots(a, INTERVAL, 2);
        grow(a, 32);
        assertEquals(List.of(16L, 32L), snaps.heights());
        snaps.node(16, null, new byte[0]); // a joiner is fetching the snapshot of 16
        grow(a, 32);
        assertEquals(List.of(16L, 32L, 48L, 64L), snaps.heights(), "16 kept while in use, at most 2 beyond the last two");
        grow(a, 16);
        assertEquals(List.of(64L, 80L), snaps.heights(), "beyond the bound it goes, and the unused ones with it");
    }

    @Test
    void anInterruptedSyncResumesFromWhatItVerifiedAfterARestart() throws Exception {
        ChainState a = chain("a");
        Map<Address, Peer> peers = Map.of(HONEST, peer(a, x -> x));
        grow(a, 66);
        ChainStore store = ChainStore.open(dir.resolve("joiner"));
        ChainState joiner = ChainState.open(store, GENESIS);
        SnapshotSync sync = syncOn(joiner);
        sync.peerIsAt(HONEST, 66, 0);
        run(sync, peers, 4, new HashMap<>()); // heights, target, the first nodes: then the process dies
        assertEquals(0, joiner.head().number());
        List<Ref> left = new StagedSink(joiner).pendingRefs();
        assertFalse(left.isEmpty());
        assertTrue(left.stream().noneMatch(r -> r.account() == null && r.path().length == 0), "the root is fetched already");
        long fetchedBefore = sync.nodesFetched();
        assertTrue(fetchedBefore > 0);
        store.close();
        outbox.clear();

        ChainStore reopened = ChainStore.open(dir.resolve("joiner"));
        stores.add(reopened);
        ChainState again = ChainState.open(reopened, GENESIS);
        SnapshotSync resumed = syncOn(again);
        assertTrue(resumed.active(), "resumes the staged sync of block 64");
        assertEquals(left.size(), resumed.pendingNodes());
        resumed.peerIsAt(HONEST, 66, 0);
        run(resumed, peers, 10_000, new HashMap<>());
        assertEquals(64, again.head().number());
        assertSameState(stateAt64(a), again);
        // Installed for good: a restart opens the snapshot's state as its head, and the chain goes on from it.
        reopened.close();
        stores.remove(reopened);
        ChainStore third = ChainStore.open(dir.resolve("joiner"));
        stores.add(third);
        ChainState afterRestart = ChainState.open(third, GENESIS);
        assertEquals(64, afterRestart.head().number());
        assertFalse(syncOn(afterRestart).active(), "nothing left to resume");
        afterRestart.apply(a.block(65).orElseThrow());
        assertArrayEquals(a.header(65).orElseThrow().stateRoot(), afterRestart.head().stateRoot());
        // Nothing fetched before the restart was fetched again: together, each node once.
        ChainState fresh = chain("fresh");
        SnapshotSync once = syncOn(fresh);
        once.peerIsAt(HONEST, 66, 0);
        run(once, peers, 10_000, new HashMap<>());
        assertEquals(once.nodesFetched(), fetchedBefore + resumed.nodesFetched());
    }

    @Test
    void aYoungChainOrASmallGapIsLeftToBlockReplay() throws Exception {
        ChainState a = chain("a");
        Map<Address, Peer> peers = Map.of(HONEST, peer(a, x -> x));
        grow(a, 40); // snapshots at 16 and 32, none 32 blocks ahead of a member at 10
        ChainState joiner = chain("joiner");
        for (long n = 1; n <= 10; n++) joiner.apply(a.block(n).orElseThrow());
        SnapshotSync sync = syncOn(joiner);
        assertFalse(sync.handles(41, 0), "31 blocks behind: replay");
        assertTrue(sync.handles(42, 0));
        sync.peerIsAt(HONEST, 42, 0);
        run(sync, peers, 10, new HashMap<>());
        assertFalse(sync.active(), "no snapshot 32 blocks ahead is offered");
        assertFalse(sync.handles(42, 1_000), "every peer said so: replay for a while");
        assertTrue(sync.handles(42, 1_000 + SnapshotSync.NONE_OFFERED_PAUSE_MS + 1_000), "and ask again later");
        assertEquals(10, joiner.head().number());

        // A member that claims to be far ahead and never answers does not keep us from replaying either.
        SnapshotSync other = syncOn(joiner);
        other.peerIsAt(LIAR, 1_000_000, 0);
        assertTrue(other.handles(1_000_000, 5_000), "still asking");
        other.tick(2 * SnapshotSync.ASK_EVERY_MS + 1);
        assertFalse(other.handles(1_000_000, 2 * SnapshotSync.ASK_EVERY_MS + 2), "no answer: replay for a while");
    }

    @Test
    void requestsAndAnswersStayWithinTheirLimits() throws Exception {
        ChainState a = chain("a");
        ChainSnapshots snaps = new ChainSnapshots(a, INTERVAL, 2);
        grow(a, 16);
        byte[] root = a.header(16).orElseThrow().stateRoot();
        List<Ref> tooMany = new ArrayList<>();
        for (int i = 0; i < SnapshotWire.MAX_REFS + 1; i++) tooMany.add(new Ref(null, new byte[0], root));
        assertThrows(IllegalArgumentException.class, () -> SnapshotWire.decodeNodesRequest(
                SnapshotWire.nodesRequest(new SnapshotWire.NodesRequest(1, 16, 1 << 20, tooMany))), "more than 64 refs");
        assertThrows(IllegalArgumentException.class, () -> SnapshotWire.decodeNodesRequest(
                SnapshotWire.nodesRequest(new SnapshotWire.NodesRequest(1, 16, 1 << 20, List.of(new Ref(null, new byte[] {16}, root))))), "a nibble of 16");
        assertThrows(IllegalArgumentException.class, () -> SnapshotWire.decodeNodesRequest(new byte[SnapshotWire.MAX_REQUEST_BYTES + 1]));
        List<byte[]> codes = new ArrayList<>();
        for (int i = 0; i < SnapshotWire.MAX_CODES + 1; i++) codes.add(Keccak.hash(CODE));
        assertThrows(IllegalArgumentException.class, () -> SnapshotWire.decodeCodeRequest(SnapshotWire.codeRequest(new SnapshotWire.CodeRequest(1, codes))));

        // The whole trie in one request is cut at the answer cap; a height not kept is not served; a wrong hash gets nothing.
        List<Ref> all = new ArrayList<>();
        for (int i = 0; i < SnapshotWire.MAX_REFS; i++) all.add(new Ref(null, new byte[0], root));
        SnapshotWire.Nodes big = SnapshotWire.serveNodes(snaps, new SnapshotWire.NodesRequest(1, 16, 1L << 30, all));
        assertTrue(SnapshotWire.nodes(big).length <= SnapshotWire.MAX_RESPONSE_BYTES, "answer within 2 MiB");
        assertFalse(SnapshotWire.serveNodes(snaps, new SnapshotWire.NodesRequest(2, 15, 1 << 20, List.of(new Ref(null, new byte[0], root)))).served());
        assertTrue(SnapshotWire.serveNodes(snaps, new SnapshotWire.NodesRequest(3, 16, 1 << 20, List.of(new Ref(null, new byte[0], new byte[32])))).items().isEmpty());
        assertNull(snaps.node(16, CONTRACT, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3}));

        // The server: two node requests per peer at a time (the rest dropped), answers within a byte budget.
        List<byte[]> sent = new ArrayList<>();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        SnapshotSource slow = new SnapshotSource() { // holds the first answer while the flood arrives
            private void held() {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public List<Long> heights() {
                held();
                return snaps.heights();
            }

            @Override
            public byte[] node(long height, Address account, byte[] path) {
                held();
                return snaps.node(height, account, path);
            }

            @Override
            public byte[] child(long height, Address account, byte[] path, byte[] hash) {
                return snaps.child(height, account, path, hash);
            }

            @Override
            public Address account(byte[] keyHash) {
                return snaps.account(keyHash);
            }

            @Override
            public Word slot(Address account, byte[] keyHash) {
                return snaps.slot(account, keyHash);
            }

            @Override
            public byte[] code(byte[] codeHash) {
                return snaps.code(codeHash);
            }
        };
        byte[] req = SnapshotWire.nodesRequest(new SnapshotWire.NodesRequest(1, 16, 1L << 30, all));
        SnapshotServer[] self = new SnapshotServer[1];
        try (SnapshotServer server = new SnapshotServer(slow, 1L << 30, 1L << 30, (p, b) -> {
            synchronized (sent) {
                sent.add(b);
                // A joiner asks again as soon as it has an answer: that request finds the slot free.
                if (sent.size() == 1) self[0].request(LIAR, BftReplica.GET_NODES, req, BftReplica.NODES);
            }
            return true;
        })) {
            self[0] = server;
            for (int i = 0; i < 100; i++) server.request(LIAR, BftReplica.GET_NODES, req, BftReplica.NODES);
            assertEquals(SnapshotSync.PIPELINE, 2);
            assertEquals(98, server.dropped(), "a peer has two requests in flight; a flood is dropped");
            // The question for the heights offered, which a joiner repeats while it fetches, has a slot of its own:
            // it does not push out the node request in flight (nor the reverse); a flood of it is dropped as well.
            for (int i = 0; i < 10; i++) server.request(LIAR, BftReplica.GET_SNAPSHOTS, new byte[0], BftReplica.SNAPSHOTS);
            assertEquals(107, server.dropped());
            release.countDown();
            long deadline = System.currentTimeMillis() + 10_000;
            while (server.served()[0] < 4 && System.currentTimeMillis() < deadline) Thread.sleep(10);
            assertEquals(4, server.served()[0], "the request sent on receiving the first answer is served");
            assertEquals(107, server.dropped());
            synchronized (sent) {
                assertEquals(List.of(BftReplica.NODES, BftReplica.NODES, BftReplica.SNAPSHOTS, BftReplica.NODES),
                        sent.stream().map(b -> b[0]).toList());
            }
        }
        assertNotEquals(0, big.items().size());
    }
}
