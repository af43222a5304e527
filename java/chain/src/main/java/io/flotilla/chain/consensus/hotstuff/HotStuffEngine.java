package io.flotilla.chain.consensus.hotstuff;

import io.flotilla.chain.consensus.BlockHash;
import io.flotilla.chain.consensus.CommitCertificate;
import io.flotilla.chain.consensus.ConsensusApplication;
import io.flotilla.chain.consensus.ConsensusEngine;
import io.flotilla.chain.consensus.ConsensusEvent;
import io.flotilla.chain.consensus.ConsensusEvent.BlockAvailable;
import io.flotilla.chain.consensus.ConsensusEvent.MessageReceived;
import io.flotilla.chain.consensus.ConsensusEvent.StartHeight;
import io.flotilla.chain.consensus.ConsensusEvent.TimeoutFired;
import io.flotilla.chain.consensus.ConsensusMessage;
import io.flotilla.chain.consensus.ConsensusMessage.Certificate;
import io.flotilla.chain.consensus.ConsensusMessage.NewRound;
import io.flotilla.chain.consensus.ConsensusMessage.Precommit;
import io.flotilla.chain.consensus.ConsensusMessage.Prevote;
import io.flotilla.chain.consensus.ConsensusMessage.Proposal;
import io.flotilla.chain.consensus.ConsensusMessage.Vote;
import io.flotilla.chain.consensus.ConsensusStatus;
import io.flotilla.chain.consensus.DropReason;
import io.flotilla.chain.consensus.Effect;
import io.flotilla.chain.consensus.Equivocation;
import io.flotilla.chain.consensus.MemberSet;
import io.flotilla.chain.consensus.MessageSigner;
import io.flotilla.chain.consensus.ProposedBlock;
import io.flotilla.chain.consensus.SafetyRecord;
import io.flotilla.chain.consensus.Signature;
import io.flotilla.chain.consensus.SignedMessage;
import io.flotilla.chain.consensus.Step;
import io.flotilla.chain.consensus.Timeout;
import io.flotilla.chain.consensus.bft.BftConfig;
import io.flotilla.evm.types.Address;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A HotStuff-2 style engine (Malkhi and Nayak, "HotStuff-2: Optimal Two-Phase Responsive BFT", 2023) as a pure state
 * machine behind the same {@link ConsensusEngine} contract as Tendermint. Per height and round:
 * <ol>
 *   <li>the round's leader broadcasts PROPOSAL(h, r, block, validRound), preceded by the prepare certificate of
 *       validRound when it re-proposes a block;</li>
 *   <li>each member that accepts it sends PREVOTE(h, r, hash) <em>to the leader only</em>;</li>
 *   <li>the leader gathers a quorum into a prepare certificate and broadcasts it; a member holding it for its current
 *       round locks on the block and sends PRECOMMIT(h, r, hash) to the leader only;</li>
 *   <li>the leader gathers a quorum of precommits, which is exactly a {@link CommitCertificate}, and broadcasts it:
 *       every member holding the block decides.</li>
 * </ol>
 * So a block costs about 5n messages instead of Tendermint's 2n^2, and each member checks two certificates instead of
 * every other member's two votes. Voting rule (the lock): accept a fresh proposal only if not locked or locked on that
 * block; accept a re-proposal of validRound vr only with a prepare certificate for it at vr and lockedRound <= vr or
 * locked on it. A round that does not decide times out; the member then signs NEW_ROUND(h, r+1) to every member, and
 * f+1 members in a later round (or a prepare certificate of a later round) pull the others there. Safety and liveness
 * are argued in docs/chain.md ("The hotstuff engine").
 *
 * <p>Pipelining across heights, as in chained HotStuff, is not possible behind this interface: a block's state root is
 * known only once its parent is executed, so height h+1 is proposed after h is committed. Within a height there are no
 * all-to-all votes.
 */
public final class HotStuffEngine implements ConsensusEngine {
    /** Like Tendermint's: rounds this far ahead of ours are signature-checked only to note the sender's round. */
    public static final int ROUND_HINT_HORIZON = 1000;
    /** What a message is accounted at beyond its block payload or signatures (as Tendermint's engine counts). */
    static final int MESSAGE_OVERHEAD_BYTES = 256;
    /** Next-height messages kept from signers outside the current set: 4 per member of the set, 2 proposals in all. */
    static final int STRANGER_PROPOSALS = 2;
    /** At most this many different proposals are kept per round (the second one is evidence). */
    static final int MAX_PROPOSALS = 2;

    private final long chainId;
    private final MessageSigner signer;
    private final ConsensusApplication app;
    private final BftConfig config;
    private final Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);
    /** Messages for later heights: members that decided first are already there. Bounded in total and per member. */
    private final LinkedHashMap<SignedMessage, Address> future = new LinkedHashMap<>();
    private final Map<Address, int[]> futurePerMember = new HashMap<>(); // [others, proposals]
    /** Next-height messages from signers outside the current set (joiners at a switch): at most 2 each, 4n in all. */
    private final LinkedHashMap<SignedMessage, Address> strangers = new LinkedHashMap<>();

    private Height s;
    /** The proposal and commit certificate that decided the last height, for peers that missed them. */
    private List<SignedMessage> lastCommit = List.of();
    private List<Effect> out = new ArrayList<>();

    public HotStuffEngine(long chainId, MessageSigner signer, ConsensusApplication app, BftConfig config) {
        if (chainId < 0) throw new IllegalArgumentException("chain id must not be negative");
        this.chainId = chainId;
        this.signer = Objects.requireNonNull(signer, "signer");
        this.app = Objects.requireNonNull(app, "app");
        this.config = Objects.requireNonNull(config, "config");
    }

    /** Per-height state: a new instance per height so nothing leaks from one height into the next. */
    private static final class Height {
        final long height;
        final MemberSet members;
        int round;
        Step step = Step.PROPOSE;
        boolean decided;
        boolean awaitingBlock;
        boolean idleWait;
        boolean prevoted;
        boolean precommitted;
        int lockedRound = -1;
        ProposedBlock lockedValue;
        final Map<BlockHash, ProposedBlock> blocks = new HashMap<>();
        final TreeMap<Integer, List<SignedMessage>> proposals = new TreeMap<>();
        /** Votes by (step, round): each member's first vote. */
        final Map<Integer, Map<Address, SignedMessage>> prevotes = new HashMap<>();
        final Map<Integer, Map<Address, SignedMessage>> precommits = new HashMap<>();
        /** Verified prepare certificates by round, and the highest one. */
        final TreeMap<Integer, SignedMessage> prepareCerts = new TreeMap<>();
        SignedMessage commitCert;
        /** Rounds whose certificates this member (as leader) already formed. */
        final Set<Integer> preparedFormed = new HashSet<>();
        final Set<Integer> commitFormed = new HashSet<>();
        final Map<Address, Integer> roundHints = new HashMap<>();
        /** Exactly the stored messages (for the duplicate check), and their accounted size. */
        final Set<SignedMessage> seen = new HashSet<>();
        long storedBytes;
        final Set<Address> badCertificateSenders = new HashSet<>();
        final Map<BlockHash, Boolean> validity = new HashMap<>();
        final Set<List<Object>> evidenceReported = new HashSet<>();
        /** What this member signed at this height (for re-gossip): the latest round's. */
        final List<SignedMessage> own = new ArrayList<>();

        Height(long height, MemberSet members) {
            this.height = height;
            this.members = members;
        }

        boolean lockedOn(BlockHash h) {
            return lockedValue != null && lockedValue.hash().equals(h);
        }

        Optional<Certificate> highestPrepare() {
            return prepareCerts.isEmpty() ? Optional.empty() : Optional.of((Certificate) prepareCerts.lastEntry().getValue().message());
        }
    }

    @Override
    public String name() {
        return HotStuffEngineFactory.NAME;
    }

    @Override
    public List<Effect> handle(ConsensusEvent event) {
        out = new ArrayList<>();
        switch (event) {
            case StartHeight e -> startHeight(e.height(), e.members(), e.resume());
            case MessageReceived e -> receive(e.message());
            case TimeoutFired e -> onTimeout(e.timeout());
            case BlockAvailable e -> onBlockAvailable(e.height());
        }
        List<Effect> result = List.copyOf(out);
        out = new ArrayList<>();
        return result;
    }

    @Override
    public ConsensusStatus status() {
        if (s == null) return new ConsensusStatus(0, 0, Step.PROPOSE, false, false);
        return new ConsensusStatus(s.height, s.round, s.step, s.decided, isMember());
    }

    @Override
    public List<SignedMessage> messagesForGossip() {
        List<SignedMessage> msgs = new ArrayList<>(lastCommit);
        if (s == null) return List.copyOf(msgs);
        // This height's proposals, the certificates we hold and what we signed: enough for a member that missed
        // anything of this height to catch up with us. Once a round failed, also the others' votes we hold, so a member
        // that told different members different things is caught by all (in round 0 a slow height is just slow, and
        // relaying every vote to every member would make it quadratic again). Only sent while a height is stuck.
        s.proposals.values().forEach(msgs::addAll);
        if (s.round > 0) {
            s.prevotes.values().forEach(v -> msgs.addAll(v.values()));
            s.precommits.values().forEach(v -> msgs.addAll(v.values()));
        }
        if (!s.prepareCerts.isEmpty()) msgs.add(s.prepareCerts.lastEntry().getValue());
        if (s.commitCert != null) msgs.add(s.commitCert);
        msgs.addAll(s.own);
        return List.copyOf(new java.util.LinkedHashSet<>(msgs));
    }

    @Override
    public Map<DropReason, Long> dropCounts() {
        return Map.copyOf(drops);
    }

    /** Messages this engine holds: the current height's, those kept for later heights, the last decision. */
    public int retainedMessages() {
        return (s == null ? 0 : s.seen.size()) + future.size() + strangers.size() + lastCommit.size();
    }

    /** The accounted size of {@link #retainedMessages()} ({@link #accountedSize} each). */
    public long retainedBytes() {
        long kept = future.keySet().stream().mapToLong(HotStuffEngine::accountedSize).sum()
                + strangers.keySet().stream().mapToLong(HotStuffEngine::accountedSize).sum()
                + lastCommit.stream().mapToLong(HotStuffEngine::accountedSize).sum();
        return (s == null ? 0 : s.storedBytes) + kept;
    }

    /**
     * The most {@link #retainedBytes()} can reach in round {@code round}, whatever anyone sends, with o the overhead,
     * B the proposal limit, W rounds ahead, H heights ahead, F buffered messages per member, c = o + 65 n a certificate:
     * (round + W + 1) (2 (B + o) + 2 n o + c) + c  [this height: per round two proposals, two votes per member, a
     * prepare certificate; one commit certificate] + n (H (B + o) + F c)  [later heights, per member]
     * + 4 n c + 2 (B + o)  [next-height messages of joiners] + (B + o) + c  [the last decision].
     */
    public static long retainedBound(BftConfig config, int members, int round) {
        long o = MESSAGE_OVERHEAD_BYTES;
        long proposal = config.maxProposalBytes() + o;
        long cert = o + (long) Signature.LENGTH * members;
        long thisHeight = ((long) round + config.maxRoundsAhead() + 1) * (MAX_PROPOSALS * proposal + 2L * members * o + cert) + cert;
        long later = (long) members * (config.maxHeightsAhead() * proposal + (long) config.maxBufferedPerSigner() * cert);
        long joiners = 4L * members * cert + STRANGER_PROPOSALS * proposal;
        return thisHeight + later + joiners + proposal + cert;
    }

    // ---- inputs ----

    private void startHeight(long height, MemberSet members, Optional<SafetyRecord> resume) {
        if (s != null && height <= s.height) throw new IllegalArgumentException("height " + height + " does not follow " + s.height);
        s = new Height(height, members);
        if (resume.isPresent() && resume.get().height() == height) {
            // Restarted inside this height: never sign again in a round we may have signed in, and keep the lock.
            SafetyRecord r = resume.get();
            s.lockedRound = r.lockedRound();
            s.lockedValue = r.lockedValue().orElse(null);
            if (s.lockedValue != null) s.blocks.put(s.lockedValue.hash(), s.lockedValue);
            startRound(r.round() + 1);
        } else {
            startRound(0);
        }
        List<Map.Entry<SignedMessage, Address>> mine = new ArrayList<>();
        for (var e : strangers.entrySet()) if (e.getKey().message().height() == height) mine.add(e);
        strangers.clear();
        for (var it = future.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            long h = e.getKey().message().height();
            if (h <= height) {
                it.remove();
                int[] used = futurePerMember.get(e.getValue());
                if (used != null && --used[e.getKey().message() instanceof Proposal ? 1 : 0] == 0 && used[0] + used[1] == 0) {
                    futurePerMember.remove(e.getValue());
                }
                if (h == height) mine.add(e);
            }
        }
        for (var e : mine) {
            if (!s.members.contains(e.getValue())) {
                drop(DropReason.NOT_MEMBER);
            } else if (e.getKey().message().round() > (long) s.round + config.maxRoundsAhead()) {
                drop(DropReason.TOO_FAR_AHEAD);
            } else if (!s.seen.contains(e.getKey())) {
                accept(e.getKey(), e.getValue());
            }
        }
        progress();
    }

    private void receive(SignedMessage sm) {
        if (s == null) {
            drop(DropReason.NOT_STARTED);
            return;
        }
        Optional<DropReason> early = screen(sm);
        if (early.isPresent()) {
            drop(early.get());
            return;
        }
        Optional<Address> from = sm.recoverSigner();
        if (from.isEmpty()) {
            drop(DropReason.BAD_SIGNATURE);
            return;
        }
        ConsensusMessage m = sm.message();
        if (!s.members.contains(from.get())) {
            // A member joining at a member-set switch may already speak at the next height while we finish this one:
            // keep a few of its messages for the next height, judged against that height's set when we start it.
            boolean proposal = m instanceof Proposal;
            if (m.height() == s.height + 1 && strangers.size() < 4 * s.members.size()
                    && strangers.values().stream().filter(from.get()::equals).count() < 2
                    && (!proposal || strangers.keySet().stream().filter(k -> k.message() instanceof Proposal).count() < STRANGER_PROPOSALS)) {
                strangers.put(sm, from.get());
            } else {
                drop(DropReason.NOT_MEMBER);
            }
            return;
        }
        if (m.height() > s.height) {
            bufferFuture(sm, from.get());
            return;
        }
        if (m.round() > (long) s.round + config.maxRoundsAhead()) {
            s.roundHints.merge(from.get(), m.round(), Math::max);
            drop(DropReason.TOO_FAR_AHEAD);
            progress();
            return;
        }
        if (!accept(sm, from.get())) return;
        if (s.idleWait) {
            // Another member works on this height (it had work we may not have heard of): time out like it.
            s.idleWait = false;
            scheduleRoundTimeout();
        }
        progress();
    }

    /** The checks made before paying for a signature recovery. */
    private Optional<DropReason> screen(SignedMessage sm) {
        ConsensusMessage m = sm.message();
        if (sm.chainId() != chainId) return Optional.of(DropReason.WRONG_CHAIN);
        if (m.height() < 0 || m.round() < 0) return Optional.of(DropReason.MALFORMED);
        switch (m) {
            case Proposal p -> {
                if (p.validRound() < -1 || p.validRound() >= p.round()) return Optional.of(DropReason.MALFORMED);
                if (p.block().size() > config.maxProposalBytes()) return Optional.of(DropReason.TOO_LARGE);
            }
            case Vote v -> {
                // No honest member of this engine votes nil; one is kept (never counted) as evidence material.
            }
            case Certificate c -> {
                if (c.signatures().size() > s.members.size()) return Optional.of(DropReason.MALFORMED);
            }
            case NewRound n -> {
            }
        }
        if (m.height() < s.height || (m.height() == s.height && s.decided)) return Optional.of(DropReason.STALE);
        if (m.height() > s.height + config.maxHeightsAhead()) return Optional.of(DropReason.TOO_FAR_AHEAD);
        long roundLimit = m.height() == s.height ? (long) s.round + ROUND_HINT_HORIZON : config.maxRoundsAhead();
        if (m.round() > roundLimit) return Optional.of(DropReason.TOO_FAR_AHEAD);
        if (s.seen.contains(sm) || future.containsKey(sm) || strangers.containsKey(sm)) return Optional.of(DropReason.DUPLICATE);
        return Optional.empty();
    }

    /** Each member gets {@code maxHeightsAhead} proposals and {@code maxBufferedPerSigner} other messages. */
    private void bufferFuture(SignedMessage sm, Address from) {
        boolean proposal = sm.message() instanceof Proposal;
        int[] used = futurePerMember.computeIfAbsent(from, k -> new int[2]);
        int kind = proposal ? 1 : 0;
        if (future.size() >= config.maxBufferedMessages()
                || used[kind] >= (proposal ? config.maxHeightsAhead() : config.maxBufferedPerSigner())) {
            if (used[0] + used[1] == 0) futurePerMember.remove(from);
            drop(DropReason.BUFFER_FULL);
            return;
        }
        future.put(sm, from);
        used[kind]++;
    }

    /** Records a signature-checked message of the current height; false when it was not usable. */
    private boolean accept(SignedMessage sm, Address from) {
        ConsensusMessage m = sm.message();
        switch (m) {
            case Proposal p -> {
                if (!from.equals(s.members.proposer(s.height, p.round()))) {
                    drop(DropReason.NOT_PROPOSER);
                    return false;
                }
                if (!hashMatches(p.block())) {
                    drop(DropReason.MALFORMED);
                    return false;
                }
                List<SignedMessage> ps = s.proposals.computeIfAbsent(p.round(), k -> new ArrayList<>());
                for (SignedMessage earlier : ps) {
                    if (!((Proposal) earlier.message()).block().hash().equals(p.block().hash())) reportEquivocation(from, earlier, sm);
                }
                if (ps.size() >= MAX_PROPOSALS) return false;
                ps.add(sm);
                s.blocks.putIfAbsent(p.block().hash(), p.block());
                stored(sm);
            }
            case Vote v -> {
                Map<Address, SignedMessage> votes = (v instanceof Prevote ? s.prevotes : s.precommits)
                        .computeIfAbsent(v.round(), k -> new HashMap<>());
                SignedMessage earlier = votes.putIfAbsent(from, sm);
                if (earlier != null) {
                    if (!((Vote) earlier.message()).value().equals(v.value())) reportEquivocation(from, earlier, sm);
                    return false;
                }
                stored(sm);
            }
            case Certificate c -> {
                // One certificate per (round, step) is all we need, and checking one costs a quorum of signature
                // recoveries: a second is not checked, and a member that sent one bad certificate sends no more.
                boolean have = c.step() == Step.PREVOTE ? s.prepareCerts.containsKey(c.round()) : s.commitCert != null;
                if (have || s.badCertificateSenders.contains(from)) {
                    drop(DropReason.DUPLICATE);
                    return false;
                }
                if (certificateProblem(c).isPresent()) {
                    s.badCertificateSenders.add(from);
                    drop(DropReason.MALFORMED);
                    return false;
                }
                if (c.step() == Step.PREVOTE) s.prepareCerts.put(c.round(), sm);
                else s.commitCert = sm;
                stored(sm);
            }
            case NewRound n -> {
            }
        }
        s.roundHints.merge(from, m.round(), Math::max);
        return true;
    }

    /** Why a certificate does not hold a quorum of distinct members' votes for its (step, height, round, hash). */
    private Optional<String> certificateProblem(Certificate c) {
        if (c.step() == Step.PRECOMMIT) {
            return CommitCertificate.problem(new CommitCertificate(c.height(), c.round(), c.blockHash(), c.signatures()),
                    s.members, chainId);
        }
        if (c.signatures().size() < s.members.quorum()) return Optional.of("below quorum");
        byte[] digest = io.flotilla.chain.consensus.MessageCodec.signingDigest(chainId, c.vote());
        Set<Address> signers = new HashSet<>();
        for (Signature sig : c.signatures()) {
            Optional<Address> a;
            try {
                a = sig.recover(digest);
            } catch (RuntimeException e) {
                a = Optional.empty();
            }
            if (a.isEmpty() || !s.members.contains(a.get()) || !signers.add(a.get())) return Optional.of("bad signature");
        }
        return Optional.empty();
    }

    private void onTimeout(Timeout t) {
        if (s == null || s.decided || t.height() != s.height || t.round() != s.round) return;
        startRound(s.round + 1);
        broadcast(new NewRound(s.height, s.round));
        progress();
    }

    private void onBlockAvailable(long height) {
        if (s == null || s.decided || height != s.height) return;
        if (s.idleWait) {
            s.idleWait = false;
            scheduleRoundTimeout();
        }
        if (!s.awaitingBlock) return;
        Optional<ProposedBlock> block = app.proposeBlock(s.height);
        if (block.isPresent()) {
            s.awaitingBlock = false;
            broadcast(new Proposal(s.height, s.round, block.get(), -1));
            progress();
        }
    }

    // ---- the protocol ----

    private void startRound(int r) {
        s.round = r;
        s.step = Step.PROPOSE;
        s.prevoted = false;
        s.precommitted = false;
        s.awaitingBlock = false;
        s.idleWait = false;
        s.own.removeIf(m -> m.message().round() < r);
        if (isMember() && leader(r).equals(signer.address())) {
            propose(r);
            if (!s.awaitingBlock) {
                scheduleRoundTimeout();
                return;
            }
        }
        if (r == 0 && !app.hasWork(s.height)) {
            s.idleWait = true; // an idle chain: nobody times out round 0 until there is work
            return;
        }
        scheduleRoundTimeout();
    }

    /** The leader re-proposes the block of the highest prepare certificate it holds (sent first), else its lock, else a new block. */
    private void propose(int r) {
        Optional<Certificate> high = s.highestPrepare();
        if (high.isPresent() && s.blocks.containsKey(high.get().blockHash())) {
            out.add(new Effect.Broadcast(s.prepareCerts.lastEntry().getValue()));
            broadcast(new Proposal(s.height, r, s.blocks.get(high.get().blockHash()), high.get().round()));
            return;
        }
        Optional<ProposedBlock> block = s.lockedValue != null ? Optional.of(s.lockedValue) : app.proposeBlock(s.height);
        if (block.isPresent()) {
            broadcast(new Proposal(s.height, r, block.get(), -1));
        } else {
            s.awaitingBlock = true;
        }
    }

    private void progress() {
        boolean changed = true;
        while (changed && !s.decided) changed = tryDecide() || trySkipRound() || gatherAsLeader() || vote();
    }

    /** A valid commit certificate and the block it names: decide. */
    private boolean tryDecide() {
        if (s.commitCert == null) return false;
        Certificate c = (Certificate) s.commitCert.message();
        ProposedBlock block = s.blocks.get(c.blockHash());
        if (block == null || !valid(block, c.round())) return false;
        s.decided = true;
        out.add(new Effect.Commit(block, new CommitCertificate(s.height, c.round(), c.blockHash(), c.signatures())));
        List<SignedMessage> bundle = new ArrayList<>();
        List<SignedMessage> ps = s.proposals.getOrDefault(c.round(), List.of());
        ps.stream().filter(p -> ((Proposal) p.message()).block().hash().equals(c.blockHash())).findFirst().ifPresent(bundle::add);
        if (bundle.isEmpty()) { // decided a re-proposal's block: any proposal carrying it
            s.proposals.values().stream().flatMap(List::stream)
                    .filter(p -> ((Proposal) p.message()).block().hash().equals(c.blockHash())).findFirst().ifPresent(bundle::add);
        }
        bundle.add(s.commitCert);
        lastCommit = List.copyOf(bundle);
        return true;
    }

    /**
     * f+1 members signed in a later round, so at least one honest member is there: join the (f+1)-th highest. A prepare
     * certificate of a later round shows a quorum was there: join it too (its precommit is then ours to send).
     */
    private boolean trySkipRound() {
        int target = -1;
        int witness = s.members.honestWitness();
        if (s.roundHints.size() >= witness) {
            target = s.roundHints.values().stream().sorted(Comparator.reverseOrder()).skip(witness - 1).findFirst().orElse(-1);
        }
        if (!s.prepareCerts.isEmpty()) target = Math.max(target, s.prepareCerts.lastKey());
        if (target <= s.round) return false;
        startRound(target);
        return true;
    }

    /** As the leader of a round: a quorum of prevotes becomes a prepare certificate, a quorum of precommits a commit certificate. */
    private boolean gatherAsLeader() {
        if (!isMember()) return false;
        int q = s.members.quorum();
        if (leader(s.round).equals(signer.address()) && !s.preparedFormed.contains(s.round)) {
            Optional<BlockHash> h = quorumValue(s.prevotes.get(s.round), q);
            if (h.isPresent()) {
                s.preparedFormed.add(s.round);
                formCertificate(Step.PREVOTE, s.round, h.get(), s.prevotes.get(s.round));
                return true;
            }
        }
        for (var e : s.precommits.entrySet()) {
            int r = e.getKey();
            if (!leader(r).equals(signer.address()) || s.commitFormed.contains(r) || s.commitCert != null) continue;
            Optional<BlockHash> h = quorumValue(e.getValue(), q);
            if (h.isPresent()) {
                s.commitFormed.add(r);
                formCertificate(Step.PRECOMMIT, r, h.get(), e.getValue());
                return true;
            }
        }
        return false;
    }

    private static Optional<BlockHash> quorumValue(Map<Address, SignedMessage> votes, int quorum) {
        if (votes == null || votes.size() < quorum) return Optional.empty();
        Map<BlockHash, Integer> counts = new HashMap<>();
        for (SignedMessage m : votes.values()) {
            Optional<BlockHash> h = ((Vote) m.message()).value();
            if (h.isPresent() && counts.merge(h.get(), 1, Integer::sum) >= quorum) return h;
        }
        return Optional.empty();
    }

    private void formCertificate(Step step, int r, BlockHash hash, Map<Address, SignedMessage> votes) {
        List<Signature> sigs = votes.values().stream()
                .filter(m -> ((Vote) m.message()).value().equals(Optional.of(hash)))
                .sorted(Comparator.comparing((SignedMessage m) -> m.signature().r()))
                .limit(s.members.quorum()).map(SignedMessage::signature).toList();
        SignedMessage cert = SignedMessage.sign(chainId, new Certificate(s.height, r, step, hash, sigs), signer);
        out.add(new Effect.Broadcast(cert)); // carries no vote of ours beyond those already recorded: no new safety state
        if (step == Step.PREVOTE) s.prepareCerts.putIfAbsent(r, cert);
        else s.commitCert = cert;
        stored(cert);
    }

    /** The member's two votes of the current round, each sent to the round's leader. */
    private boolean vote() {
        if (!isMember()) return false;
        if (!s.prevoted) {
            for (SignedMessage sm : s.proposals.getOrDefault(s.round, List.of())) {
                Proposal p = (Proposal) sm.message();
                BlockHash h = p.block().hash();
                boolean ok;
                if (p.validRound() == -1) {
                    ok = s.lockedRound == -1 || s.lockedOn(h);
                } else {
                    SignedMessage qc = s.prepareCerts.get(p.validRound());
                    if (qc == null || !((Certificate) qc.message()).blockHash().equals(h)) continue; // wait for the certificate
                    ok = s.lockedRound <= p.validRound() || s.lockedOn(h);
                }
                if (ok && valid(p.block(), p.round())) {
                    s.prevoted = true;
                    s.step = Step.PREVOTE;
                    sendToLeader(new Prevote(s.height, s.round, Optional.of(h)));
                    return true;
                }
            }
        }
        SignedMessage qc = s.prepareCerts.get(s.round);
        if (!s.precommitted && qc != null) {
            BlockHash h = ((Certificate) qc.message()).blockHash();
            ProposedBlock block = s.blocks.get(h);
            if (block != null && valid(block, s.round)) {
                s.precommitted = true;
                s.prevoted = true; // a quorum moved on: a prevote of ours in this round could not matter any more
                s.step = Step.PRECOMMIT;
                s.lockedRound = s.round;
                s.lockedValue = block;
                sendToLeader(new Precommit(s.height, s.round, Optional.of(h)));
                return true;
            }
        }
        return false;
    }

    // ---- helpers ----

    private void stored(SignedMessage sm) {
        if (s.seen.add(sm)) s.storedBytes += accountedSize(sm);
    }

    /** A message's share of memory as accounted here: a block payload or a certificate's signatures, plus a fixed overhead. */
    static long accountedSize(SignedMessage sm) {
        return MESSAGE_OVERHEAD_BYTES + switch (sm.message()) {
            case Proposal p -> p.block().size();
            case Certificate c -> (long) Signature.LENGTH * c.signatures().size();
            default -> 0L;
        };
    }

    private Address leader(int round) {
        return s.members.proposer(s.height, round);
    }

    /** Signs a vote and sends it to the round's leader (counting it ourselves when we lead). */
    private void sendToLeader(Vote v) {
        SignedMessage sm = sign(v);
        Address to = leader(v.round());
        if (to.equals(signer.address())) {
            accept(sm, to);
        } else {
            out.add(new Effect.Send(to, sm));
        }
    }

    /** Signs, records ourselves, and sends to every member. */
    private void broadcast(ConsensusMessage m) {
        if (!isMember()) return;
        SignedMessage sm = sign(m);
        out.add(new Effect.Broadcast(sm));
        accept(sm, signer.address());
    }

    /** Every message this member signs is preceded by the safety record (last round signed in, lock). */
    private SignedMessage sign(ConsensusMessage m) {
        out.add(new Effect.PersistSafety(new SafetyRecord(s.height, s.round, s.lockedRound, Optional.ofNullable(s.lockedValue))));
        SignedMessage sm = SignedMessage.sign(chainId, m, signer);
        s.own.add(sm);
        return sm;
    }

    private void scheduleRoundTimeout() {
        // A round has two voting phases where Tendermint's steps have one each: twice the propose timeout.
        var after = config.propose().forRound(s.round).plus(config.prevote().forRound(s.round));
        out.add(new Effect.ScheduleTimeout(new Timeout(s.height, s.round, Step.PROPOSE), after));
    }

    private void reportEquivocation(Address member, SignedMessage first, SignedMessage second) {
        List<Object> slot = List.of(member, first.message().round(), first.message().getClass());
        if (s.evidenceReported.add(slot)) out.add(new Effect.ReportEvidence(new Equivocation(member, first, second)));
    }

    /** The application's judgement; final verdicts are remembered for the height, "not yet" is asked again later. */
    private boolean valid(ProposedBlock block, int round) {
        Boolean known = s.validity.get(block.hash());
        if (known != null) return known;
        ConsensusApplication.Verdict verdict;
        try {
            Set<Address> proposers = new HashSet<>();
            int upTo = Math.max(s.round, round);
            for (int i = 0; i <= upTo && i < s.members.size(); i++) proposers.add(leader(i));
            verdict = app.judge(s.height, block, proposers);
        } catch (RuntimeException e) {
            verdict = ConsensusApplication.Verdict.INVALID;
        }
        if (verdict == ConsensusApplication.Verdict.NOT_YET) return false;
        boolean ok = verdict == ConsensusApplication.Verdict.VALID;
        s.validity.put(block.hash(), ok);
        return ok;
    }

    private boolean hashMatches(ProposedBlock block) {
        try {
            return app.hashOf(block.payload()).equals(block.hash());
        } catch (RuntimeException e) {
            return false;
        }
    }

    private boolean isMember() {
        return s != null && s.members.contains(signer.address());
    }

    private void drop(DropReason reason) {
        drops.merge(reason, 1L, Long::sum);
    }
}
