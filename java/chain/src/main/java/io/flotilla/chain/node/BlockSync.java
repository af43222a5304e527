package io.flotilla.chain.node;

import io.flotilla.chain.consensus.CommitCertificate;
import io.flotilla.chain.consensus.MemberSet;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.storage.Block;
import io.flotilla.chain.storage.BlockHeader;
import io.flotilla.chain.tx.RlpShape;
import io.flotilla.evm.types.Address;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpEncoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * Catch-up: a member that is behind (it joined by rotation, or restarted while the others went on) downloads
 * certified blocks from a peer that is ahead, and applies them only once they are proven.
 *
 * <p>The proof starts at the peer's tip: its commit certificate must verify against the member set this node was
 * configured with by its agent (from the manager contracts), or against the set our own chain says decides the
 * tip's height. The blocks below are then fetched backwards, each one's hash being the parent hash of the block
 * above it, so every fetched block is authentic before anything is applied. They are then applied in order, each
 * after checking its own certificate against the member set the chain declares for its height, and re-executed
 * (state, receipts and transaction roots must match their header). A peer that serves anything else is ignored
 * for a while; nothing is written.
 *
 * <p>Everything except {@link #serve} runs on the replica's loop thread.
 */
final class BlockSync {

    private static final System.Logger LOG = System.getLogger(BlockSync.class.getName());
    static final int MAX_BLOCKS_PER_RESPONSE = 256;
    static final int MAX_RESPONSE_BYTES = 3 << 20;
    private static final long REQUEST_TIMEOUT_MS = 10_000;
    private static final long BAD_PEER_PAUSE_MS = 30_000;

    /** What the replica provides. */
    interface Host {
        /** Sends a request to one peer; false when not connected. */
        boolean request(Address peer, long from, long to);

        /** The head moved by catch-up: forget candidates and start consensus at the new head + 1. */
        void caughtUp();
    }

    private final long chainId;
    private final ChainState chain;
    private final Membership membership;
    private final Host host;
    private final Map<Address, Long> pausedUntil = new HashMap<>();

    private Address peer;
    private long target;
    private long requestedAt;
    /** Authentic blocks fetched so far, highest first. */
    private final Deque<Block> fetched = new ArrayDeque<>();
    private long applied;

    BlockSync(long chainId, ChainState chain, Membership membership, Host host) {
        this.chainId = chainId;
        this.chain = chain;
        this.membership = membership;
        this.host = host;
    }

    boolean active() {
        return peer != null;
    }

    /** Blocks applied by catch-up since start. */
    long appliedBlocks() {
        return applied;
    }

    /** A peer says its head is {@code peerHead}; starts fetching from it when that is ahead of ours. */
    void peerIsAt(Address from, long peerHead, long nowMs) {
        if (peer != null && nowMs - requestedAt > REQUEST_TIMEOUT_MS) {
            LOG.log(System.Logger.Level.INFO, "catch-up from " + peer + " timed out");
            reset();
        }
        if (peer != null || peerHead <= chain.head().number() || pausedUntil.getOrDefault(from, 0L) > nowMs) {
            return;
        }
        peer = from;
        target = peerHead;
        fetched.clear();
        ask(peerHead, peerHead, nowMs);
    }

    /** Blocks from a peer, in answer to our request (anything unasked is ignored). */
    void received(Address from, List<byte[]> encoded, long nowMs) {
        if (!from.equals(peer)) return;
        try {
            List<Block> blocks = new ArrayList<>();
            for (byte[] e : encoded) blocks.add(Block.decode(e, chain.decoder()));
            blocks.sort(Comparator.comparingLong(Block::number).reversed());
            if (fetched.isEmpty()) {
                anchor(blocks);
            } else {
                extend(blocks);
            }
            long head = chain.head().number();
            Block lowest = fetched.peekLast();
            if (lowest.number() > head + 1) {
                ask(Math.max(head + 1, lowest.number() - MAX_BLOCKS_PER_RESPONSE), lowest.number() - 1, nowMs);
                return;
            }
            applyFetched();
            reset();
            host.caughtUp();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "catch-up from " + from + " refused: " + e.getMessage());
            pausedUntil.put(from, nowMs + BAD_PEER_PAUSE_MS);
            reset();
        }
    }

    /** The tip: its certificate must verify against a set we trust. */
    private void anchor(List<Block> blocks) {
        if (blocks.size() != 1 || blocks.get(0).number() != target) throw new IllegalArgumentException("asked for tip " + target);
        Block tip = blocks.get(0);
        CommitCertificate cert = certificateOf(tip);
        long head = chain.head().number();
        boolean trusted = CommitCertificate.verify(cert, membership.configured(), chainId)
                || (tip.number() == head + 1 && CommitCertificate.verify(cert, membership.forHeight(tip.number()), chainId));
        if (!trusted) {
            throw new IllegalArgumentException("the certificate of tip " + tip.number() + " is not signed by a quorum of a member set we trust");
        }
        fetched.add(tip);
    }

    /** Blocks below the lowest fetched: each must be the parent of the one above it. */
    private void extend(List<Block> blocks) {
        if (blocks.isEmpty()) throw new IllegalArgumentException("empty response");
        for (Block b : blocks) {
            Block above = fetched.peekLast();
            if (b.number() != above.number() - 1 || !Arrays.equals(b.hash(), above.header().parentHash())) {
                throw new IllegalArgumentException("block " + b.number() + " is not the parent of block " + above.number());
            }
            fetched.addLast(b);
        }
    }

    private void applyFetched() throws Exception {
        BlockHeader head = chain.head();
        Block first = fetched.peekLast();
        if (first.number() != head.number() + 1 || !Arrays.equals(first.header().parentHash(), head.hash())) {
            throw new IllegalArgumentException("fetched blocks do not extend our head " + head.number());
        }
        while (!fetched.isEmpty()) {
            Block b = fetched.pollLast();
            MemberSet deciders = b.number() == 1 ? membership.declaredBy(b.header()) : membership.forHeight(b.number());
            Optional<String> problem = CommitCertificate.problem(certificateOf(b), deciders, chainId);
            if (problem.isPresent()) throw new IllegalArgumentException("certificate of block " + b.number() + ": " + problem.get());
            chain.apply(b);
            applied++;
        }
    }

    private CommitCertificate certificateOf(Block b) {
        CommitCertificate cert = CommitCertificate.decode(b.header().commitCertificate());
        if (cert.height() != b.number() || !Arrays.equals(cert.blockHash().bytes(), b.hash())) {
            throw new IllegalArgumentException("certificate of block " + b.number() + " names another block");
        }
        return cert;
    }

    private void ask(long from, long to, long nowMs) {
        requestedAt = nowMs;
        if (!host.request(peer, from, to)) reset();
    }

    private void reset() {
        peer = null;
        fetched.clear();
    }

    // ---- wire formats ----

    /** A peer's request, answered from our store (any thread): blocks from..to, ascending, within the caps. */
    static List<byte[]> serve(ChainState chain, long from, long to) {
        List<byte[]> out = new ArrayList<>();
        long last = Math.min(to, chain.head().number());
        int bytes = 0;
        for (long n = Math.max(1, from); n <= last && out.size() < MAX_BLOCKS_PER_RESPONSE; n++) {
            Optional<Block> b = chain.block(n);
            if (b.isEmpty()) break;
            byte[] e = b.get().encode();
            if (bytes + e.length > MAX_RESPONSE_BYTES && !out.isEmpty()) break;
            bytes += e.length;
            out.add(e);
        }
        return out;
    }

    static byte[] encodeRange(long from, long to) {
        return RlpEncoder.encode(new RlpList(RlpString.create(from), RlpString.create(to)));
    }

    static long[] decodeRange(byte[] body) {
        RlpShape.requireShallow(body, 0, 2);
        List<RlpType> f = ((RlpList) RlpDecoder.decode(body).getValues().get(0)).getValues();
        return new long[] {((RlpString) f.get(0)).asPositiveBigInteger().longValueExact(),
                ((RlpString) f.get(1)).asPositiveBigInteger().longValueExact()};
    }

    static byte[] encodeBlocks(List<byte[]> blocks) {
        return RlpEncoder.encode(new RlpList(blocks.stream().map(b -> (RlpType) RlpString.create(b)).toList()));
    }

    static List<byte[]> decodeBlocks(byte[] body) {
        RlpShape.requireShallow(body, 0, 2);
        List<RlpType> f = ((RlpList) RlpDecoder.decode(body).getValues().get(0)).getValues();
        return f.stream().map(t -> ((RlpString) t).getBytes()).toList();
    }
}
