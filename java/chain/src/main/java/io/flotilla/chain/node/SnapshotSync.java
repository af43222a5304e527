package io.flotilla.chain.node;

import io.flotilla.chain.consensus.CommitCertificate;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.snapshot.SnapshotSink;
import io.flotilla.chain.snapshot.SnapshotSink.Ancestors;
import io.flotilla.chain.snapshot.SnapshotSink.Ref;
import io.flotilla.chain.snapshot.TrieNodes;
import io.flotilla.chain.storage.Block;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.trie.PatriciaTrie;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Snapshot sync (docs/chain.md, "Snapshot sync"): a member far behind (it joined by rotation, or was away long)
 * downloads the state at a recent certified height instead of replaying every block since genesis.
 *
 * <p>Rule: when a peer's head is at least {@link #minGap} blocks above ours, we ask the peers which heights they keep
 * a snapshot of; a height at least {@code minGap} above our head is the target (the highest offered). Otherwise (a
 * young chain, or no snapshot offered) catch-up replays blocks ({@link BlockSync}).
 *
 * <p>The target block is fetched first and its commit certificate must verify against the member set our agent
 * configured (as {@link BlockSync} checks a tip): its state root is then trusted. The state is fetched as trie nodes
 * from every member offering that height at once, each request naming up to {@link SnapshotWire#MAX_REFS} nodes by
 * trie, path and hash; the answer is each named node's subtree in preorder. Every node must hash to what its parent
 * (or the request) names, every leaf comes with its key's preimage (the address, or the slot), checked by hashing.
 * Accounts' storage roots and code hashes become new nodes and code to fetch. Each verified answer is written to the
 * staging area at once with the nodes still to fetch, so a restart resumes where it was. Then the 256 blocks below
 * the target (for BLOCKHASH) are fetched down the hash chain; then the staged state is checked once more against the
 * root (rebuilt tries) and installed, the target becomes our head, and consensus and block catch-up go on from it.
 *
 * <p>A peer that serves anything that does not verify, or does not answer in time, is penalised as in
 * {@link BlockSync} (ignored for a period doubling with each offence) and its work is asked of another. Runs on the
 * replica's loop thread.
 */
final class SnapshotSync {

    private static final System.Logger LOG = System.getLogger(SnapshotSync.class.getName());
    /** Snapshot sync is used only when the chain is at least this far ahead (below, replaying is cheap). */
    static final long DEFAULT_MIN_GAP = 1024;
    /** Blocks kept below the target: BLOCKHASH reaches 256 back. */
    static final int ANCESTORS = 256;
    static final long REQUEST_TIMEOUT_MS = 10_000;
    /**
     * A node or code request unanswered for 4x the slowest recent answer (at least this long) is asked again, of any
     * member, without penalty: its answer was lost on the way (a member's links drop what exceeds their message rate,
     * e.g. during a burst of consensus re-gossip), and waiting the full timeout cost the joiner up to 10 s each time.
     * Only {@link #REQUEST_TIMEOUT_MS} counts against the member.
     */
    static final long MIN_RETRY_MS = 2_000;
    /**
     * Node or code requests a peer may have in flight at once (its server queues as many): the next answer is made
     * while we check the last one, instead of each side waiting for the other.
     */
    static final int PIPELINE = 2;
    static final long ASK_EVERY_MS = 5_000;
    /** After every peer said it has no snapshot we could use, catch-up replays blocks for this long. */
    static final long NONE_OFFERED_PAUSE_MS = 60_000;
    /** A target nobody offers any more for this long is abandoned (and a newer one chosen). */
    static final long TARGET_GONE_MS = 30_000;
    static final long PENALTY_BASE_MS = 5_000;
    static final long PENALTY_MAX_MS = 10 * 60_000;

    interface Host {
        /** Sends one message; false when not connected. */
        boolean send(Address peer, byte kind, byte[] body);

        /** The snapshot became our state and head: start consensus from the head + 1. */
        void installed();
    }

    private enum Phase { TARGET, STATE, ANCESTORS }

    private enum Kind { TARGET, NODES, CODE, BLOCKS }

    private record Request(Kind kind, long id, List<Ref> refs, List<byte[]> codes, long sentAt) {
    }

    private static final class Penalty {
        int strikes;
        long until;
    }

    private static final Comparator<Ref> ORDER = Comparator
            .comparing((Ref r) -> r.account() == null ? new byte[0] : r.account().toArray(), Arrays::compare)
            .thenComparing(Ref::path, Arrays::compare);

    private final long chainId;
    private final ChainState chain;
    private final Membership membership;
    private final SnapshotSink sink;
    private final Host host;
    private final long minGap;
    private final Map<Address, Long> claims = new HashMap<>();
    private final Map<Address, List<Long>> offers = new HashMap<>();
    private final Map<Address, Long> asked = new HashMap<>();
    /** Peers asked for their snapshot heights that have not answered yet: an answer from anyone else is ignored. */
    private final java.util.Set<Address> awaitingOffer = new java.util.HashSet<>();
    private final Map<Address, Penalty> penalties = new HashMap<>();
    /** Requests sent and not answered, per peer, oldest first. */
    private final Map<Address, List<Request>> inflight = new HashMap<>();
    private final TreeSet<Ref> pending = new TreeSet<>(ORDER);
    private final Map<String, byte[]> pendingCode = new LinkedHashMap<>();
    private Phase phase;
    private long targetHeight;
    private Block target;
    private Ancestors ancestors;
    private int ancestorWindow = 64;
    private long nextId = 1;
    /** The size of answer asked for (the server's cap is {@link SnapshotWire#MAX_RESPONSE_BYTES}). */
    private long answerBytes = SnapshotWire.MAX_RESPONSE_BYTES;
    private long noneOfferedUntil;
    /** When we first asked for snapshots without a target since (-1: not asking). */
    private long firstAskedAt = -1;
    private long lastOffered;
    /** The slowest recent node or code answer (decaying), for {@link #MIN_RETRY_MS}; the full timeout until one is seen. */
    private long recentAnswerMs = REQUEST_TIMEOUT_MS / 4;
    // Figures.
    private long nodesFetched;
    private long bytesFetched;
    private long accountsStaged;
    private long slotsStaged;
    private long retried;
    private long installedAt = -1;
    /** Wall time the last install took (loading the staged state, rebuilding and checking its tries, the swap). */
    private long installMillis;

    SnapshotSync(long chainId, ChainState chain, Membership membership, SnapshotSink sink, Host host, long minGap, long nowMs) {
        this.chainId = chainId;
        this.chain = chain;
        this.membership = membership;
        this.sink = sink;
        this.host = host;
        this.minGap = minGap;
        this.lastOffered = nowMs;
        sink.target().ifPresent(t -> {
            if (t.number() <= chain.head().number()) {
                sink.discard();
                return;
            }
            target = t;
            targetHeight = t.number();
            pending.addAll(sink.pendingRefs());
            for (byte[] c : sink.pendingCode()) pendingCode.put(Hex.encode(c), c);
            ancestors = sink.ancestors().orElse(new Ancestors(t.number() - 1, t.header().parentHash(), Math.max(1, t.number() - ANCESTORS)));
            phase = Phase.STATE;
            LOG.log(System.Logger.Level.INFO, "snapshot sync of block " + targetHeight + " resumes: " + pending.size()
                    + " nodes and " + pendingCode.size() + " codes known to be missing");
        });
    }

    /** Asks for smaller answers (tests: to spread a small state over several requests and peers). */
    void answerBytes(long bytes) {
        this.answerBytes = bytes;
    }

    boolean active() {
        return phase != null;
    }

    /** Whether a peer at {@code peerHead} should be caught up with by snapshot (this) rather than by replay. */
    boolean handles(long peerHead, long nowMs) {
        return active() || (peerHead - chain.head().number() >= minGap && nowMs >= noneOfferedUntil);
    }

    boolean expectsBlocks(Address from) {
        return inflight(from, k -> k == Kind.TARGET || k == Kind.BLOCKS) != null;
    }

    /** The oldest request in flight to {@code peer} of a kind {@code kinds} accepts, or null. */
    private Request inflight(Address peer, java.util.function.Predicate<Kind> kinds) {
        for (Request r : inflight.getOrDefault(peer, List.of())) if (kinds.test(r.kind())) return r;
        return null;
    }

    /** The request in flight to {@code peer} of this kind and id, or null. */
    private Request inflight(Address peer, Kind kind, long id) {
        for (Request r : inflight.getOrDefault(peer, List.of())) if (r.kind() == kind && r.id() == id) return r;
        return null;
    }

    private void answered(Address peer, Request r) {
        List<Request> rs = inflight.get(peer);
        if (rs == null) return;
        rs.remove(r);
        if (rs.isEmpty()) inflight.remove(peer);
    }

    private void answerTook(long ms) {
        recentAnswerMs = Math.max(Math.max(0, ms), recentAnswerMs * 7 / 8);
    }

    /** Node or code requests asked again because their answer was overdue (not counted against the member). */
    long retried() {
        return retried;
    }

    private int inflightCount() {
        int n = 0;
        for (List<Request> rs : inflight.values()) n += rs.size();
        return n;
    }

    long nodesFetched() {
        return nodesFetched;
    }

    long bytesFetched() {
        return bytesFetched;
    }

    /** The height installed by snapshot, or -1. */
    long installedAt() {
        return installedAt;
    }

    long installMillis() {
        return installMillis;
    }

    int pendingNodes() {
        return pending.size();
    }

    int strikes(Address p) {
        Penalty pen = penalties.get(p);
        return pen == null ? 0 : pen.strikes;
    }

    void peerIsAt(Address from, long peerHead, long nowMs) {
        claims.merge(from, peerHead, Math::max);
        Long last = asked.get(from);
        if (last == null || nowMs - last >= ASK_EVERY_MS) {
            asked.put(from, nowMs);
            if (host.send(from, BftReplica.GET_SNAPSHOTS, new byte[0])) awaitingOffer.add(from);
            if (phase == null && firstAskedAt < 0) firstAskedAt = nowMs;
        }
        pump(nowMs);
    }

    void offered(Address from, List<Long> heights, long nowMs) {
        if (!awaitingOffer.remove(from)) return; // unasked: ignored
        offers.put(from, List.copyOf(heights));
        if (phase == null) choose(nowMs);
        pump(nowMs);
    }

    private void choose(long nowMs) {
        long head = chain.head().number();
        long best = -1;
        for (var e : offers.entrySet()) {
            if (penalised(e.getKey(), nowMs)) continue;
            for (long h : e.getValue()) if (h >= head + minGap) best = Math.max(best, h);
        }
        if (best < 0) {
            if (offers.keySet().containsAll(claims.keySet())) noneOfferedUntil = nowMs + NONE_OFFERED_PAUSE_MS;
            return;
        }
        phase = Phase.TARGET;
        firstAskedAt = -1;
        targetHeight = best;
        lastOffered = nowMs;
        LOG.log(System.Logger.Level.INFO, "snapshot sync: fetching the state of block " + best + " (our head is " + head + ")");
    }

    void tick(long nowMs) {
        long retryMs = Math.min(REQUEST_TIMEOUT_MS, Math.max(MIN_RETRY_MS, 4 * recentAnswerMs));
        for (var it = inflight.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            boolean late = false;
            for (var rs = e.getValue().iterator(); rs.hasNext(); ) {
                Request r = rs.next();
                long age = nowMs - r.sentAt();
                boolean retry = (r.kind() == Kind.NODES || r.kind() == Kind.CODE) && age > retryMs;
                if (age > REQUEST_TIMEOUT_MS || retry) {
                    rs.remove();
                    requeue(r);
                    if (age > REQUEST_TIMEOUT_MS) late = true;
                    else retried++;
                }
            }
            if (e.getValue().isEmpty()) it.remove();
            if (late) penalise(e.getKey(), "did not answer a snapshot request within " + REQUEST_TIMEOUT_MS + " ms", nowMs);
        }
        // Peers that never answer (or only with snapshots too low) do not keep us from replaying blocks.
        if (phase == null && firstAskedAt >= 0 && nowMs - firstAskedAt > 2 * ASK_EVERY_MS) {
            noneOfferedUntil = nowMs + NONE_OFFERED_PAUSE_MS;
            firstAskedAt = -1;
        }
        if (phase != null && offering(nowMs).isEmpty() && nowMs - lastOffered > TARGET_GONE_MS) {
            LOG.log(System.Logger.Level.WARNING, "snapshot sync: nobody offers block " + targetHeight + " any more; starting over");
            abandon();
        }
        pump(nowMs);
    }

    // ---- answers ----

    void blocks(Address from, List<byte[]> encoded, long nowMs) {
        Request r = inflight(from, k -> k == Kind.TARGET || k == Kind.BLOCKS);
        if (r == null) return;
        answered(from, r);
        try {
            List<Block> blocks = new ArrayList<>();
            for (byte[] e : encoded) blocks.add(Block.decode(e, chain.decoder()));
            bytesFetched += encoded.stream().mapToLong(b -> b.length).sum();
            if (r.kind() == Kind.TARGET) onTarget(blocks);
            else onAncestors(blocks);
        } catch (Exception e) {
            penalise(from, "served blocks refused: " + e.getMessage(), nowMs);
            if (r.kind() == Kind.TARGET) {
                offers.remove(from); // what it offers is not believed again until it offers anew
                phase = null;
                choose(nowMs);
            }
        }
        pump(nowMs);
    }

    private void onTarget(List<Block> blocks) {
        if (phase != Phase.TARGET) return;
        if (blocks.size() != 1 || blocks.get(0).number() != targetHeight) throw new IllegalArgumentException("asked for block " + targetHeight);
        Block t = blocks.get(0);
        CommitCertificate cert = CommitCertificate.decode(t.header().commitCertificate());
        if (cert.height() != t.number() || !Arrays.equals(cert.blockHash().bytes(), t.hash())) {
            throw new IllegalArgumentException("the certificate of block " + t.number() + " names another block");
        }
        var problem = CommitCertificate.problem(cert, membership.configured(), chainId);
        if (problem.isPresent()) throw new IllegalArgumentException("the certificate of block " + t.number() + ": " + problem.get());
        target = t;
        ancestors = new Ancestors(t.number() - 1, t.header().parentHash(), Math.max(1, t.number() - ANCESTORS));
        sink.begin(t, ancestors);
        pending.clear();
        pendingCode.clear();
        pending.addAll(sink.pendingRefs());
        phase = Phase.STATE;
    }

    /** Blocks below the target, ascending: the highest must be the one we wait for; verified downwards by hash. */
    private void onAncestors(List<Block> blocks) {
        if (phase != Phase.ANCESTORS) return;
        if (blocks.isEmpty()) throw new IllegalArgumentException("no blocks");
        if (blocks.getLast().number() != ancestors.next()) {
            ancestorWindow = 1; // the answer was cut (large blocks): one at a time
            return;
        }
        List<Block> keep = new ArrayList<>();
        long next = ancestors.next();
        byte[] hash = ancestors.hash();
        for (int i = blocks.size() - 1; i >= 0 && next >= ancestors.last(); i--) {
            Block b = blocks.get(i);
            if (b.number() != next || !Arrays.equals(b.hash(), hash)) throw new IllegalArgumentException("block " + b.number() + " is not the parent of block " + (next + 1));
            keep.add(b);
            hash = b.header().parentHash();
            next--;
        }
        ancestors = new Ancestors(next, hash, ancestors.last());
        sink.save(new SnapshotSink.Progress(List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), keep, ancestors));
    }

    void nodes(Address from, byte[] body, long nowMs) {
        Request r = inflight(from, k -> k == Kind.NODES);
        if (r == null) return; // unasked: ignored, not even decoded
        SnapshotWire.Nodes n;
        try {
            n = SnapshotWire.decodeNodes(body);
        } catch (RuntimeException e) {
            n = null;
        }
        if (n != null) {
            r = inflight(from, Kind.NODES, n.id());
            if (r == null) return; // an answer to an earlier request that timed out
            answerTook(nowMs - r.sentAt());
        }
        answered(from, r);
        try {
            if (n == null) throw new IllegalArgumentException("undecodable answer");
            if (!n.served()) {
                offers.remove(from); // it no longer keeps that height: no offence
                requeue(r);
            } else {
                accept(r, n.items());
                bytesFetched += body.length;
                credit(from);
            }
        } catch (RuntimeException e) {
            requeue(r);
            penalise(from, "served trie nodes refused: " + e.getMessage(), nowMs);
        }
        pump(nowMs);
    }

    /** Verifies an answer against the request's refs; stages it at once, or throws and stages nothing. */
    private void accept(Request r, List<SnapshotWire.Item> items) {
        List<Ref> done = new ArrayList<>();
        List<Ref> added = new ArrayList<>();
        List<Ref> untouched = new ArrayList<>();
        List<byte[]> codeAdded = new ArrayList<>();
        List<SnapshotSink.StagedAccount> accounts = new ArrayList<>();
        List<SnapshotSink.StagedSlot> slots = new ArrayList<>();
        List<SnapshotSink.VerifiedNode> nodes = new ArrayList<>();
        Map<String, byte[]> newCode = new LinkedHashMap<>();
        int idx = 0;
        for (Ref ref : r.refs()) {
            if (idx >= items.size()) {
                untouched.add(ref);
                continue;
            }
            Deque<Ref> stack = new ArrayDeque<>();
            stack.push(ref);
            while (!stack.isEmpty() && idx < items.size()) {
                Ref want = stack.pop();
                SnapshotWire.Item item = items.get(idx++);
                if (!Arrays.equals(Keccak.hash(item.node()), want.hash())) {
                    throw new IllegalArgumentException("a node does not match the hash its parent names");
                }
                TrieNodes.Parsed p = TrieNodes.parse(item.node(), want.path());
                nodes.add(new SnapshotSink.VerifiedNode(want.hash(), item.node()));
                if (p.leaves().size() != item.preimages().size()) throw new IllegalArgumentException("preimages do not match the leaves");
                for (int i = 0; i < p.leaves().size(); i++) {
                    byte[] key = p.leaves().get(i).key();
                    byte[] pre = item.preimages().get(i);
                    if (key == null || !Arrays.equals(Keccak.hash(pre), key)) throw new IllegalArgumentException("a key's preimage does not hash to it");
                    byte[] value = p.leaves().get(i).value();
                    if (ref.account() == null) {
                        if (pre.length != 20) throw new IllegalArgumentException("an address of " + pre.length + " bytes");
                        stageAccount(Address.of(pre), key, value, accounts, added, newCode);
                    } else {
                        if (pre.length != 32) throw new IllegalArgumentException("a slot of " + pre.length + " bytes");
                        slots.add(new SnapshotSink.StagedSlot(ref.account(), Word.fromBytes(pre), slotValue(value), key));
                    }
                }
                if (want == ref) done.add(ref);
                for (int i = p.children().size() - 1; i >= 0; i--) {
                    TrieNodes.Child c = p.children().get(i);
                    stack.push(new Ref(ref.account(), c.path(), c.hash()));
                }
                nodesFetched++;
            }
            added.addAll(stack); // the part of the subtree not sent yet
        }
        if (idx < items.size()) throw new IllegalArgumentException((items.size() - idx) + " nodes more than the refs lead to");
        for (var e : newCode.entrySet()) {
            if (!pendingCode.containsKey(e.getKey()) && !sink.hasCode(e.getValue()) && !inFlightCode(e.getValue())) {
                codeAdded.add(e.getValue());
            }
        }
        sink.save(new SnapshotSink.Progress(done, added, List.of(), codeAdded, List.of(), accounts, slots, List.of(), null, nodes));
        accountsStaged += accounts.size();
        slotsStaged += slots.size();
        pending.addAll(untouched);
        pending.addAll(added);
        for (byte[] c : codeAdded) pendingCode.put(Hex.encode(c), c);
    }

    private void stageAccount(Address a, byte[] keyHash, byte[] value, List<SnapshotSink.StagedAccount> accounts, List<Ref> added, Map<String, byte[]> code) {
        List<byte[]> f = TrieNodes.strings(value);
        if (f.size() != 4) throw new IllegalArgumentException("an account leaf of " + f.size() + " fields");
        byte[] nonce = f.get(0);
        byte[] balance = f.get(1);
        byte[] storageRoot = f.get(2);
        byte[] codeHash = f.get(3);
        if (nonce.length > 8 || balance.length > 32 || storageRoot.length != 32 || codeHash.length != 32) {
            throw new IllegalArgumentException("a malformed account leaf");
        }
        boolean hasCode = !Arrays.equals(codeHash, Keccak.EMPTY);
        accounts.add(new SnapshotSink.StagedAccount(a, new BigInteger(1, nonce).longValueExact(), Word.fromBytes(balance),
                hasCode ? codeHash : new byte[0], storageRoot, keyHash));
        if (!Arrays.equals(storageRoot, PatriciaTrie.EMPTY_ROOT)) added.add(new Ref(a, new byte[0], storageRoot));
        if (hasCode) code.putIfAbsent(Hex.encode(codeHash), codeHash);
    }

    private static Word slotValue(byte[] leaf) {
        byte[] v = TrieNodes.string(leaf);
        if (v.length > 32 || v.length == 0) throw new IllegalArgumentException("a malformed storage leaf");
        return Word.fromBytes(v);
    }

    private boolean inFlightCode(byte[] hash) {
        for (List<Request> rs : inflight.values()) {
            for (Request r : rs) for (byte[] c : r.codes()) if (Arrays.equals(c, hash)) return true;
        }
        return false;
    }

    void codes(Address from, byte[] body, long nowMs) {
        Request r = inflight(from, k -> k == Kind.CODE);
        if (r == null) return; // unasked: ignored, not even decoded
        SnapshotWire.Codes c;
        try {
            c = SnapshotWire.decodeCodes(body);
        } catch (RuntimeException e) {
            c = null;
        }
        if (c != null) {
            r = inflight(from, Kind.CODE, c.id());
            if (r == null) return;
            answerTook(nowMs - r.sentAt());
        }
        answered(from, r);
        try {
            if (c == null) throw new IllegalArgumentException("undecodable answer");
            if (c.codes().size() > r.codes().size()) throw new IllegalArgumentException("more code than asked for");
            List<byte[]> done = new ArrayList<>();
            for (int i = 0; i < c.codes().size(); i++) {
                if (!Arrays.equals(Keccak.hash(c.codes().get(i)), r.codes().get(i))) throw new IllegalArgumentException("code does not match its hash");
                done.add(r.codes().get(i));
            }
            sink.save(new SnapshotSink.Progress(List.of(), List.of(), done, List.of(), c.codes(), List.of(), List.of(), List.of(), null));
            bytesFetched += body.length;
            for (int i = c.codes().size(); i < r.codes().size(); i++) pendingCode.put(Hex.encode(r.codes().get(i)), r.codes().get(i));
            if (c.codes().isEmpty()) offers.remove(from); // it has none of it
            credit(from);
        } catch (RuntimeException e) {
            requeue(r);
            penalise(from, "served code refused: " + e.getMessage(), nowMs);
        }
        pump(nowMs);
    }

    // ---- requests ----

    private List<Address> offering(long nowMs) {
        List<Address> out = new ArrayList<>();
        for (var e : offers.entrySet()) {
            if (e.getValue().contains(targetHeight) && !penalised(e.getKey(), nowMs)) out.add(e.getKey());
        }
        out.sort(Comparator.comparingInt(this::strikes));
        return out;
    }

    private void pump(long nowMs) {
        if (phase == null) return;
        List<Address> peers = offering(nowMs);
        if (!peers.isEmpty()) lastOffered = nowMs;
        for (int round = 0; round < (phase == Phase.STATE ? PIPELINE : 1); round++) { // fill each peer's pipeline
            for (Address p : peers) {
                List<Request> busy = inflight.getOrDefault(p, List.of());
                if (phase != Phase.STATE && !busy.isEmpty()) continue;
                if (busy.size() >= PIPELINE || busy.stream().anyMatch(r -> r.kind() == Kind.TARGET || r.kind() == Kind.BLOCKS)) continue;
                if (phase == Phase.TARGET) {
                    if (inflight.values().stream().flatMap(List::stream).anyMatch(r -> r.kind() == Kind.TARGET)) return;
                    send(p, new Request(Kind.TARGET, 0, List.of(), List.of(), nowMs), BftReplica.GET_BLOCKS, BlockSync.encodeRange(targetHeight, targetHeight));
                    return;
                }
                if (phase == Phase.STATE) {
                    if (!pending.isEmpty()) {
                        // A fair share of what is known to be missing, so every offering peer has work.
                        int slots = peers.size() * PIPELINE;
                        int share = (int) Math.min(SnapshotWire.MAX_REFS, Math.max(1, (pending.size() + slots - 1) / slots));
                        List<Ref> refs = new ArrayList<>();
                        while (refs.size() < share && !pending.isEmpty()) refs.add(pending.pollFirst());
                        long id = nextId++;
                        send(p, new Request(Kind.NODES, id, refs, List.of(), nowMs), BftReplica.GET_NODES,
                                SnapshotWire.nodesRequest(new SnapshotWire.NodesRequest(id, targetHeight, answerBytes, refs)));
                    } else if (!pendingCode.isEmpty()) {
                        List<byte[]> codes = new ArrayList<>();
                        for (var it = pendingCode.values().iterator(); it.hasNext() && codes.size() < SnapshotWire.MAX_CODES; ) {
                            codes.add(it.next());
                            it.remove();
                        }
                        long id = nextId++;
                        send(p, new Request(Kind.CODE, id, List.of(), codes, nowMs), BftReplica.GET_CODE,
                                SnapshotWire.codeRequest(new SnapshotWire.CodeRequest(id, codes)));
                    }
                }
            }
        }
        if (phase == Phase.STATE && pending.isEmpty() && pendingCode.isEmpty() && inflightCount() == 0) {
            phase = Phase.ANCESTORS;
            LOG.log(System.Logger.Level.INFO, "snapshot sync: state of block " + targetHeight + " complete (" + nodesFetched + " nodes, "
                    + accountsStaged + " accounts, " + slotsStaged + " slots); fetching the blocks below it");
        }
        if (phase == Phase.ANCESTORS) {
            if (ancestors.done()) {
                install();
                return;
            }
            if (inflightCount() != 0) return;
            for (Address p : peers) {
                long from = Math.max(ancestors.last(), ancestors.next() - ancestorWindow + 1);
                if (send(p, new Request(Kind.BLOCKS, 0, List.of(), List.of(), nowMs), BftReplica.GET_BLOCKS, BlockSync.encodeRange(from, ancestors.next()))) return;
            }
        }
    }

    private boolean send(Address p, Request r, byte kind, byte[] body) {
        if (host.send(p, kind, body)) {
            inflight.computeIfAbsent(p, k -> new ArrayList<>(PIPELINE)).add(r);
            return true;
        }
        requeue(r);
        return false;
    }

    private void requeue(Request r) {
        pending.addAll(r.refs());
        for (byte[] c : r.codes()) pendingCode.put(Hex.encode(c), c);
    }

    private void install() {
        long height = targetHeight;
        long started = System.nanoTime();
        try {
            sink.install();
            installMillis = (System.nanoTime() - started) / 1_000_000;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "snapshot sync: the state of block " + height + " could not be installed; starting over", e);
            abandon();
            return;
        }
        installedAt = height;
        LOG.log(System.Logger.Level.INFO, "snapshot sync: block " + height + " installed as our head (" + nodesFetched + " nodes, "
                + bytesFetched + " bytes)");
        reset();
        host.installed();
    }

    private void abandon() {
        sink.discard();
        reset();
    }

    private void reset() {
        phase = null;
        target = null;
        pending.clear();
        pendingCode.clear();
        inflight.clear();
        ancestorWindow = 64;
    }

    private boolean penalised(Address p, long nowMs) {
        Penalty pen = penalties.get(p);
        return pen != null && pen.until > nowMs;
    }

    private void credit(Address p) {
        Penalty pen = penalties.get(p);
        if (pen != null && pen.strikes > 0) pen.strikes--;
    }

    private void penalise(Address p, String why, long nowMs) {
        Penalty pen = penalties.computeIfAbsent(p, a -> new Penalty());
        pen.strikes++;
        long pause = Math.min(PENALTY_MAX_MS, PENALTY_BASE_MS << Math.min(pen.strikes - 1, 20));
        pen.until = nowMs + pause;
        LOG.log(System.Logger.Level.WARNING, "snapshot sync: peer " + p + " " + why + "; ignored for " + pause + " ms");
    }
}
