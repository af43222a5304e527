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
import java.util.TreeMap;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * Catch-up: a member that is behind (it joined by rotation, or restarted while the others went on) downloads
 * certified blocks from members that are ahead, and applies them as soon as they are proven.
 *
 * <p>A peer's claimed head (STATUS, or a consensus message of a later height) is only a hint. It is believed once
 * the peer serves that tip and the tip's commit certificate verifies against the member set this node was
 * configured with by its agent (from the manager contracts), or against the set our own chain says decides the
 * tip's height. The proven tip certifies its ancestors by hash chain: the blocks below it are fetched backwards,
 * each one's hash being the parent hash of the block above. Memory is bounded: the walk down keeps at most one
 * window of blocks ({@link #WINDOW_BLOCKS} blocks, {@link #WINDOW_BYTES} bytes) and, above it, only the hash of
 * each window's top block (a checkpoint). When the walk reaches our head, the lowest window is applied at once; the
 * windows above are then fetched upwards, one at a time, each proven by the hash chain ending at its checkpoint and
 * applied before the next is fetched. Every block is also checked against the certificate of the member set the
 * chain declares for its height and re-executed (state, receipts and transaction roots must match its header).
 *
 * <p>Every request times out after {@link #REQUEST_TIMEOUT_MS}; the work then moves to another member that claims
 * to be far enough ahead. A peer that stalls, claims a head it cannot prove or serves anything unasked for, wrong or
 * unverifiable is penalised: ignored for a period that doubles with each offence ({@link #PENALTY_BASE_MS} up to
 * {@link #PENALTY_MAX_MS}); peers with fewer offences are asked first. What was proven stays proven when the
 * source changes; nothing unproven is ever written.
 *
 * <p>Everything except {@link #serve} runs on the replica's loop thread.
 */
final class BlockSync {

    private static final System.Logger LOG = System.getLogger(BlockSync.class.getName());
    static final int MAX_BLOCKS_PER_RESPONSE = 256;
    static final int MAX_RESPONSE_BYTES = 3 << 20;
    /** At most this many fetched blocks are held before they are applied. */
    static final int WINDOW_BLOCKS = 512;
    /** At most this many bytes of fetched blocks are held (plus one response) before they are applied. */
    static final long WINDOW_BYTES = 32L << 20;
    static final long REQUEST_TIMEOUT_MS = 3_000;
    static final long PENALTY_BASE_MS = 5_000;
    static final long PENALTY_MAX_MS = 10 * 60_000;

    /** What the replica provides. */
    interface Host {
        /** Sends a request to one peer; false when not connected. */
        boolean request(Address peer, long from, long to);

        /** The head moved by catch-up: forget candidates and start consensus at the new head + 1. */
        void caughtUp();
    }

    private enum Phase { TIP, DOWN, UP }

    private static final class Penalty {
        int strikes;
        long until;
    }

    private final long chainId;
    private final ChainState chain;
    private final Membership membership;
    private final Host host;
    private final int windowBlocks;
    /** Heads peers claimed (unverified), highest seen per peer. */
    private final Map<Address, Long> claims = new HashMap<>();
    private final Map<Address, Penalty> penalties = new HashMap<>();

    // The current request.
    private Address peer;
    private long requestedAt;
    // The session: null phase when idle.
    private Phase phase;
    private long claimedTip;
    /** Our head when the session last moved; a head moved by consensus ends the session. */
    private long sessionHead;
    /** Tops of the windows still to apply: number -> hash, proven by the hash chain from the certified tip. */
    private final TreeMap<Long, byte[]> checkpoints = new TreeMap<>();
    /** DOWN: the lowest window's proven blocks, highest first. UP: the current window's blocks, ascending. */
    private final Deque<Block> held = new ArrayDeque<>();
    private long heldBytes;
    /** DOWN: the lowest proven block and its parent's hash. */
    private long lowest;
    private byte[] lowestParent;
    private long applied;
    /** The peer whose answer is being processed: credited when it completes a window. */
    private Address servedBy;

    BlockSync(long chainId, ChainState chain, Membership membership, Host host) {
        this(chainId, chain, membership, host, WINDOW_BLOCKS);
    }

    BlockSync(long chainId, ChainState chain, Membership membership, Host host, int windowBlocks) {
        this.windowBlocks = windowBlocks;
        this.chainId = chainId;
        this.chain = chain;
        this.membership = membership;
        this.host = host;
    }

    boolean active() {
        return phase != null;
    }

    /** Blocks applied by catch-up since start. */
    long appliedBlocks() {
        return applied;
    }

    /** Blocks held in memory now (fetched, not yet applied). */
    int heldBlocks() {
        return held.size();
    }

    /** Checkpoints (window tops) still to apply. */
    int pendingWindows() {
        return checkpoints.size();
    }

    /** Whether {@code p} is being ignored now. */
    boolean penalised(Address p, long nowMs) {
        Penalty pen = penalties.get(p);
        return pen != null && pen.until > nowMs;
    }

    /** Offences counted against {@code p} (0 when none). */
    int strikes(Address p) {
        Penalty pen = penalties.get(p);
        return pen == null ? 0 : pen.strikes;
    }

    /** A peer says its head is {@code peerHead} (a hint); starts or continues catching up when someone is ahead. */
    void peerIsAt(Address from, long peerHead, long nowMs) {
        claims.merge(from, peerHead, Math::max);
        tick(nowMs);
    }

    /** Times out a request that went unanswered, then asks whoever should be asked next. */
    void tick(long nowMs) {
        if (peer != null && nowMs - requestedAt > REQUEST_TIMEOUT_MS) {
            penalise(peer, "did not answer within " + REQUEST_TIMEOUT_MS + " ms", nowMs);
            dropPeer();
        }
        pump(nowMs);
    }

    /** Blocks from a peer, in answer to our request (anything unasked is ignored). */
    void received(Address from, List<byte[]> encoded, long nowMs) {
        if (!from.equals(peer)) return;
        peer = null;
        servedBy = from;
        if (chain.head().number() != sessionHead) {
            endSession(); // consensus moved our head meanwhile: start over from the new head
            pump(nowMs);
            return;
        }
        try {
            List<Block> blocks = new ArrayList<>();
            List<Integer> sizes = new ArrayList<>();
            for (byte[] e : encoded) {
                blocks.add(Block.decode(e, chain.decoder()));
                sizes.add(e.length);
            }
            switch (phase) {
                case TIP -> onTip(blocks);
                case DOWN -> onDown(blocks, sizes);
                case UP -> onUp(blocks, sizes);
            }
        } catch (Exception e) {
            penalise(from, "served blocks refused: " + e.getMessage(), nowMs);
            if (phase == Phase.TIP) endSession();
            dropPeer();
        }
        pump(nowMs);
    }

    /** The tip: its certificate must verify against a set we trust; then walk down from it. */
    private void onTip(List<Block> blocks) throws Exception {
        if (blocks.size() != 1 || blocks.get(0).number() != claimedTip) throw new IllegalArgumentException("asked for tip " + claimedTip);
        Block tip = blocks.get(0);
        CommitCertificate cert = certificateOf(tip);
        long head = chain.head().number();
        boolean trusted = CommitCertificate.verify(cert, membership.configured(), chainId)
                || (tip.number() == head + 1 && CommitCertificate.verify(cert, membership.forHeight(tip.number()), chainId));
        if (!trusted) {
            throw new IllegalArgumentException("the certificate of tip " + tip.number() + " is not signed by a quorum of a member set we trust");
        }
        checkpoints.clear();
        checkpoints.put(tip.number(), tip.hash());
        held.clear();
        held.add(tip);
        heldBytes = tip.encode().length;
        lowest = tip.number();
        lowestParent = tip.header().parentHash();
        phase = Phase.DOWN;
        reachedHead();
    }

    /** Blocks below the lowest proven one: each must be its parent. A full window leaves only its top's hash. */
    private void onDown(List<Block> blocks, List<Integer> sizes) throws Exception {
        if (blocks.isEmpty()) throw new IllegalArgumentException("empty response");
        long head = chain.head().number();
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) order.add(i);
        order.sort(Comparator.comparingLong((Integer i) -> blocks.get(i).number()).reversed());
        for (int i : order) {
            Block b = blocks.get(i);
            if (b.number() != lowest - 1 || b.number() <= head || !Arrays.equals(b.hash(), lowestParent)) {
                throw new IllegalArgumentException("block " + b.number() + " is not the parent of block " + lowest);
            }
            if (!held.isEmpty() && (held.size() >= windowBlocks || heldBytes + sizes.get(i) > WINDOW_BYTES)) {
                checkpoints.put(b.number(), b.hash()); // the top of the window below; the one above is fetched again later
                held.clear();
                heldBytes = 0;
            }
            held.addLast(b);
            heldBytes += sizes.get(i);
            lowest = b.number();
            lowestParent = b.header().parentHash();
        }
        reachedHead();
    }

    /** When the walk down reached our head: the lowest window is proven, apply it; the rest is fetched upwards. */
    private void reachedHead() throws Exception {
        BlockHeader head = chain.head();
        if (lowest != head.number() + 1) return;
        if (!Arrays.equals(lowestParent, head.hash())) {
            throw new IllegalArgumentException("the certified chain does not extend our head " + head.number());
        }
        List<Block> window = new ArrayList<>(held);
        java.util.Collections.reverse(window);
        phase = Phase.UP;
        applyWindow(window);
    }

    /** Blocks of the next window, upwards from our head: proven once the chain reaches the window's checkpoint. */
    private void onUp(List<Block> blocks, List<Integer> sizes) throws Exception {
        if (blocks.isEmpty()) throw new IllegalArgumentException("empty response");
        long top = checkpoints.firstKey();
        for (int i = 0; i < blocks.size(); i++) {
            Block b = blocks.get(i);
            byte[] parent = held.isEmpty() ? chain.head().hash() : held.peekLast().hash();
            long expected = chain.head().number() + 1 + held.size();
            if (b.number() != expected || b.number() > top || !Arrays.equals(b.header().parentHash(), parent)) {
                throw new IllegalArgumentException("block " + b.number() + " does not extend block " + (expected - 1));
            }
            held.addLast(b);
            heldBytes += sizes.get(i);
            if (heldBytes > 2 * WINDOW_BYTES + MAX_RESPONSE_BYTES) throw new IllegalArgumentException("window larger than its proof allows");
            if (b.number() == top) {
                if (!Arrays.equals(b.hash(), checkpoints.get(top))) {
                    throw new IllegalArgumentException("block " + top + " is not the one the certified tip descends from");
                }
                applyWindow(new ArrayList<>(held));
                return;
            }
        }
    }

    /** Applies proven blocks in ascending order, each against the certificate of the set the chain declares for it. */
    private void applyWindow(List<Block> window) throws Exception {
        for (Block b : window) {
            MemberSet deciders = b.number() == 1 ? membership.declaredBy(b.header()) : membership.forHeight(b.number());
            Optional<String> problem = CommitCertificate.problem(certificateOf(b), deciders, chainId);
            if (problem.isPresent()) throw new IllegalArgumentException("certificate of block " + b.number() + ": " + problem.get());
            chain.apply(b);
            applied++;
        }
        held.clear();
        heldBytes = 0;
        Penalty pen = servedBy == null ? null : penalties.get(servedBy);
        if (pen != null && pen.strikes > 0) pen.strikes--; // useful work earns back one offence
        long head = chain.head().number();
        checkpoints.headMap(head, true).clear();
        sessionHead = head;
        if (checkpoints.isEmpty()) endSession();
        host.caughtUp();
    }

    /** Sends the session's next request to the best peer that claims to have what is needed. */
    private void pump(long nowMs) {
        if (peer != null) return;
        long head = chain.head().number();
        if (phase != null && head != sessionHead) endSession();
        long need = phase == null ? head + 1 : phase == Phase.DOWN ? lowest - 1 : checkpoints.firstKey();
        Address best = null;
        for (Map.Entry<Address, Long> c : claims.entrySet()) {
            if (c.getValue() < need || penalised(c.getKey(), nowMs)) continue;
            if (best == null || strikes(c.getKey()) < strikes(best)
                    || (strikes(c.getKey()) == strikes(best) && c.getValue() > claims.get(best))) {
                best = c.getKey();
            }
        }
        if (best == null) return;
        peer = best;
        long from;
        long to;
        if (phase == null) {
            phase = Phase.TIP;
            sessionHead = head;
            claimedTip = claims.get(best);
            from = to = claimedTip;
        } else if (phase == Phase.DOWN) {
            from = Math.max(head + 1, lowest - MAX_BLOCKS_PER_RESPONSE);
            to = lowest - 1;
        } else {
            from = head + 1 + held.size();
            to = Math.min(checkpoints.firstKey(), from + MAX_BLOCKS_PER_RESPONSE - 1);
        }
        requestedAt = nowMs;
        if (!host.request(best, from, to)) {
            dropPeer(); // not connected: try again on the next tick
        }
    }

    private void penalise(Address p, String why, long nowMs) {
        Penalty pen = penalties.computeIfAbsent(p, a -> new Penalty());
        pen.strikes++;
        long pause = Math.min(PENALTY_MAX_MS, PENALTY_BASE_MS << Math.min(pen.strikes - 1, 20));
        pen.until = nowMs + pause;
        LOG.log(System.Logger.Level.WARNING, "catch-up: peer " + p + " " + why + "; ignored for " + pause + " ms");
    }

    /** The current source is abandoned; what it served that is not proven yet is dropped. */
    private void dropPeer() {
        peer = null;
        if (phase == Phase.TIP) {
            endSession();
        } else if (phase == Phase.UP) {
            held.clear();
            heldBytes = 0;
        }
    }

    private void endSession() {
        phase = null;
        peer = null;
        checkpoints.clear();
        held.clear();
        heldBytes = 0;
        lowestParent = null;
    }

    private CommitCertificate certificateOf(Block b) {
        CommitCertificate cert = CommitCertificate.decode(b.header().commitCertificate());
        if (cert.height() != b.number() || !Arrays.equals(cert.blockHash().bytes(), b.hash())) {
            throw new IllegalArgumentException("certificate of block " + b.number() + " names another block");
        }
        return cert;
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
        return io.flotilla.evm.rlp.Rlp.encode(new RlpList(RlpString.create(from), RlpString.create(to)));
    }

    static long[] decodeRange(byte[] body) {
        RlpShape.requireShallow(body, 0, 2);
        List<RlpType> f = ((RlpList) RlpDecoder.decode(body).getValues().get(0)).getValues();
        return new long[] {((RlpString) f.get(0)).asPositiveBigInteger().longValueExact(),
                ((RlpString) f.get(1)).asPositiveBigInteger().longValueExact()};
    }

    static byte[] encodeBlocks(List<byte[]> blocks) {
        return io.flotilla.evm.rlp.Rlp.encode(new RlpList(blocks.stream().map(b -> (RlpType) RlpString.create(b)).toList()));
    }

    static List<byte[]> decodeBlocks(byte[] body) {
        RlpShape.requireShallow(body, 0, 2);
        List<RlpType> f = ((RlpList) RlpDecoder.decode(body).getValues().get(0)).getValues();
        return f.stream().map(t -> ((RlpString) t).getBytes()).toList();
    }
}
