package io.flotilla.chain.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.consensus.BlockHash;
import io.flotilla.chain.consensus.CommitCertificate;
import io.flotilla.chain.consensus.ConsensusMessage;
import io.flotilla.chain.consensus.MemberSet;
import io.flotilla.chain.consensus.MessageCodec;
import io.flotilla.chain.consensus.NodeKey;
import io.flotilla.chain.consensus.Signature;
import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.ExecutedBlock;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.evm.crypto.Secp256k1;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The window and penalty logic of catch-up, driven by hand with certified chains built in the test. */
class BlockSyncTest {

    private static final long CHAIN_ID = 0x464C0000L + 1;
    private static final Genesis GENESIS = Genesis.of(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, BigInteger.ZERO),
            Secp256k1.addressOf(BigInteger.valueOf(99)), BigInteger.TEN.pow(24));
    private static final Address HONEST = Secp256k1.addressOf(BigInteger.valueOf(1_001));
    private static final Address OTHER = Secp256k1.addressOf(BigInteger.valueOf(1_002));
    private static final Address LIAR = Secp256k1.addressOf(BigInteger.valueOf(1_003));

    @TempDir
    Path dir;

    private final List<ChainStore> stores = new ArrayList<>();
    private final List<NodeKey> keys = new ArrayList<>();
    private MemberSet set;

    /** One request the sync sent. */
    private record Request(Address peer, long from, long to) {}

    private final List<Request> requests = new ArrayList<>();
    private int caughtUp;

    @AfterEach
    void close() {
        stores.forEach(ChainStore::close);
    }

    private ChainState chain(String name) {
        ChainStore store = ChainStore.open(dir.resolve(name));
        stores.add(store);
        return ChainState.open(store, GENESIS);
    }

    private MemberSet members() {
        if (set == null) {
            for (int i = 0; i < 4; i++) keys.add(new NodeKey(BigInteger.valueOf(7_919L * (i + 3))));
            set = MemberSet.sorted(keys.stream().map(NodeKey::address).toList());
        }
        return set;
    }

    /** Extends {@code chain} by {@code count} empty blocks, each certified by {@code signers} (3 of the 4 members). */
    private void grow(ChainState chain, int count, List<NodeKey> signers, long salt) {
        for (int i = 0; i < count; i++) {
            long h = chain.head().number() + 1;
            ExecutedBlock e = chain.beginBlock(1_000 + h * 2 + salt, keys.get(0).address(), members().encode()).finish();
            BlockHash hash = new BlockHash(e.block().hash());
            byte[] digest = MessageCodec.signingDigest(CHAIN_ID, new ConsensusMessage.Precommit(h, 0, Optional.of(hash)));
            List<Signature> sigs = signers.stream().map(k -> k.sign(digest)).toList();
            chain.commit(e.withCommitCertificate(new CommitCertificate(h, 0, hash, sigs).encode()));
        }
    }

    private BlockSync syncOn(ChainState target, int window) {
        return new BlockSync(CHAIN_ID, target, new Membership(target, members()), new BlockSync.Host() {
            @Override
            public boolean request(Address peer, long from, long to) {
                requests.add(new Request(peer, from, to));
                return true;
            }

            @Override
            public void caughtUp() {
                caughtUp++;
            }
        }, window);
    }

    private Request last() {
        return requests.getLast();
    }

    @Test
    void aLongChainIsFetchedAndAppliedInWindowsHoldingAtMostOneWindow() {
        members();
        ChainState source = chain("source");
        grow(source, 95, keys.subList(0, 3), 0);
        ChainState target = chain("target");
        grow(target, 3, keys.subList(0, 3), 0); // the same first blocks: it was a member, then fell behind
        BlockSync sync = syncOn(target, 20);

        long now = 0;
        sync.peerIsAt(HONEST, 95, now);
        assertEquals(new Request(HONEST, 95, 95), last(), "the claimed tip first");
        List<Long> headsAfterEachAnswer = new ArrayList<>();
        int answered = 0;
        while (sync.active() && answered++ < 100) {
            Request r = last();
            sync.received(r.peer(), BlockSync.serve(source, r.from(), r.to()), now += 10);
            assertTrue(sync.heldBlocks() <= 20, "never more than a window in memory: " + sync.heldBlocks());
            headsAfterEachAnswer.add(target.head().number());
        }
        assertFalse(sync.active());
        assertEquals(95, target.head().number());
        for (long h = 1; h <= 95; h++) assertArrayEquals(source.header(h).orElseThrow().hash(), target.header(h).orElseThrow().hash());
        assertEquals(92, sync.appliedBlocks());
        assertTrue(caughtUp >= 4, "each window applied as soon as proven, not all at the end: " + caughtUp);
        assertTrue(headsAfterEachAnswer.stream().distinct().count() >= 5, "the head moved window by window: " + headsAfterEachAnswer);
    }

    @Test
    void aPeerThatClaimsAHeadItCannotProveIsPenalisedForAGrowingPeriodAndOthersServe() {
        members();
        ChainState source = chain("source");
        grow(source, 30, keys.subList(0, 3), 0);
        ChainState target = chain("target");
        BlockSync sync = syncOn(target, 512);

        long now = 1_000;
        sync.peerIsAt(HONEST, 30, now);
        sync.received(HONEST, List.of(), now); // wrong answer to the tip request: honest made a mistake once
        assertTrue(sync.penalised(HONEST, now));
        assertEquals(0, target.head().number());
        now += BlockSync.PENALTY_BASE_MS + 1;

        sync.peerIsAt(LIAR, 1_000_000, now); // asked first: fewer offences than the honest one
        sync.peerIsAt(HONEST, 30, now);
        assertEquals(new Request(LIAR, 1_000_000, 1_000_000), last());
        sync.tick(now + BlockSync.REQUEST_TIMEOUT_MS - 1);
        assertEquals(LIAR, last().peer(), "waits for the answer");
        now += BlockSync.REQUEST_TIMEOUT_MS + 1;
        sync.tick(now);
        assertTrue(sync.penalised(LIAR, now), "a peer that never answers is penalised");
        assertEquals(new Request(HONEST, 30, 30), last(), "and the next member that claims to be ahead is asked");
        sync.received(HONEST, BlockSync.serve(source, 30, 30), now);
        Request down = last();
        assertEquals(HONEST, down.peer());
        sync.received(LIAR, BlockSync.serve(source, down.from(), down.to()), now); // unasked: ignored
        sync.received(HONEST, BlockSync.serve(source, down.from(), down.to()), now);
        assertEquals(30, target.head().number());
        assertFalse(sync.active());

        // The liar is tried again once its pause ends, fails again, and is ignored twice as long.
        now += BlockSync.PENALTY_BASE_MS + 1;
        grow(source, 5, keys.subList(0, 3), 0);
        sync.peerIsAt(HONEST, 35, now);
        sync.peerIsAt(LIAR, 1_000_000, now);
        assertEquals(HONEST, last().peer(), "fewer offences are asked first (useful work earned one back)");
        sync.received(HONEST, BlockSync.serve(source, 35, 35), now);
        assertEquals(new Request(HONEST, 31, 34), last());
        sync.received(HONEST, BlockSync.serve(source, 31, 34), now);
        assertEquals(35, target.head().number());
        assertEquals(new Request(LIAR, 1_000_000, 1_000_000), last(), "then the liar, whose claim is still ahead");
        sync.received(LIAR, List.of(new byte[] {1, 2, 3}), now);
        assertEquals(2, sync.strikes(LIAR));
        assertTrue(sync.penalised(LIAR, now + 2 * BlockSync.PENALTY_BASE_MS - 1));
        assertFalse(sync.penalised(LIAR, now + 2 * BlockSync.PENALTY_BASE_MS + 1));
        assertEquals(35, target.head().number(), "nothing unproven was written");
    }

    @Test
    void wrongBlocksArePenalisedAndWhatWasProvenStaysProven() {
        members();
        ChainState source = chain("source");
        grow(source, 60, keys.subList(0, 3), 0);
        ChainState forged = chain("forged");
        grow(forged, 60, keys.subList(1, 4), 1); // certified too, but another chain: its blocks do not link to the tip
        ChainState outsiders = chain("outsiders");
        List<NodeKey> strangers = List.of(new NodeKey(BigInteger.valueOf(5)), new NodeKey(BigInteger.valueOf(6)), new NodeKey(BigInteger.valueOf(7)));
        ChainState target = chain("target");
        BlockSync sync = syncOn(target, 512);
        long now = 1_000;

        // A tip certified by non-members proves nothing.
        grow(outsiders, 70, strangers, 0);
        sync.peerIsAt(LIAR, 70, now);
        sync.received(LIAR, BlockSync.serve(outsiders, 70, 70), now);
        assertTrue(sync.penalised(LIAR, now));
        assertFalse(sync.active());

        // The honest tip is proven; blocks below it from another chain are refused; another member carries on.
        sync.peerIsAt(OTHER, 60, now);
        sync.received(OTHER, BlockSync.serve(source, 60, 60), now);
        Request down = last();
        sync.received(OTHER, BlockSync.serve(forged, down.from(), down.to()), now);
        assertTrue(sync.penalised(OTHER, now));
        assertTrue(sync.active(), "the proven tip is kept");
        sync.peerIsAt(HONEST, 60, now);
        Request again = last();
        assertEquals(new Request(HONEST, down.from(), down.to()), again, "the walk goes on where it stood");
        sync.received(HONEST, BlockSync.serve(source, again.from(), again.to()), now);
        assertEquals(60, target.head().number());
        assertArrayEquals(source.head().hash(), target.head().hash());
    }
}
