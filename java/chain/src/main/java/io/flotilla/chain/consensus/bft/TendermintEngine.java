package io.flotilla.chain.consensus.bft;

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
import io.flotilla.evm.types.Address;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Tendermint (Buchman, Kwon, Milosevic 2018, Algorithm 1) as a pure state machine. Comments
 * "L22" etc. name the paper's line numbers. Rules are re-evaluated to a fixed point after every
 * input, which realises the paper's "upon" clauses over the set of received messages.
 *
 * <p>A node whose key is not in the height's member set follows along as an observer: it
 * decides from others' messages but never signs anything.
 */
public final class TendermintEngine implements ConsensusEngine {
    /**
     * Rounds of the current height up to this far ahead of ours are signature-checked so that a member's round can
     * be noted for the f+1 round skip (L55); only those within {@link BftConfig#maxRoundsAhead()} are stored.
     */
    public static final int ROUND_HINT_HORIZON = 1000;
    /** What a message is accounted at beyond its block payload: fields, signature and object headers. */
    static final int MESSAGE_OVERHEAD_BYTES = 256;

    private final long chainId;
    private final MessageSigner signer;
    private final ConsensusApplication app;
    private final BftConfig config;
    private final MessageScreen screen;
    private final FutureBuffer future;
    private final Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);

    /** Null until the first StartHeight. */
    private HeightState s;
    /** The proposal and precommits that decided the latest height, for peers that missed them. */
    private List<SignedMessage> lastCommit = List.of();
    private List<Effect> out = new ArrayList<>();

    public TendermintEngine(long chainId, MessageSigner signer, ConsensusApplication app, BftConfig config) {
        if (chainId < 0) throw new IllegalArgumentException("chain id must not be negative"); // no RLP encoding
        this.chainId = chainId;
        this.signer = Objects.requireNonNull(signer, "signer");
        this.app = Objects.requireNonNull(app, "app");
        this.config = Objects.requireNonNull(config, "config");
        this.screen = new MessageScreen(chainId, config);
        this.future = new FutureBuffer(config.maxBufferedMessages(), config.maxBufferedPerSigner(), config.maxHeightsAhead());
    }

    @Override
    public String name() {
        return BftEngineFactory.NAME;
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
        if (!started()) return new ConsensusStatus(0, 0, Step.PROPOSE, false, false);
        return new ConsensusStatus(s.height, s.round, s.step, s.decided, isMember());
    }

    @Override
    public List<SignedMessage> messagesForGossip() {
        // Relaying others' messages, not just ours, is what the paper's gossip assumption means:
        // a faulty member that showed different votes to different nodes must not keep honest
        // locks apart. Old rounds matter too: L28 needs the prevotes of a proposal's validRound.
        List<SignedMessage> msgs = new ArrayList<>(lastCommit);
        if (started()) msgs.addAll(s.allMessages());
        return List.copyOf(msgs);
    }

    @Override
    public Map<DropReason, Long> dropCounts() {
        return Map.copyOf(drops);
    }

    /** Messages this engine holds from others and itself: the current height's, the buffered future ones, the last commit. */
    public int retainedMessages() {
        return (started() ? s.storedCount : 0) + future.size() + lastCommit.size();
    }

    /** The accounted size of {@link #retainedMessages()}: {@link #accountedSize} each. */
    public long retainedBytes() {
        long last = lastCommit.stream().mapToLong(TendermintEngine::accountedSize).sum();
        return (started() ? s.storedBytes : 0) + future.bytes() + last;
    }

    /**
     * The most {@link #retainedBytes()} can reach while the height is in round {@code round}, whatever anyone sends
     * (docs/chain.md, "Bounded consensus inputs"), with o = {@value #MESSAGE_OVERHEAD_BYTES}, B = the proposal limit,
     * W = rounds ahead, H = heights ahead, F = buffered future votes per member:
     * (round + W + 1) * (2 (B + o) + 6 n o)  [this height: per round two proposals, three values per member and vote type]
     * + min(n (F o + H (B + o)), total cap (B + o))  [later heights]
     * + (B + o) + n o  [the last decision, kept for peers that missed it].
     */
    public static long retainedBound(BftConfig c, int members, int round) {
        long o = MESSAGE_OVERHEAD_BYTES;
        long proposal = c.maxProposalBytes() + o;
        long thisHeight = ((long) round + c.maxRoundsAhead() + 1) * (RoundLog.MAX_PROPOSALS * proposal + 6L * members * o);
        long later = Math.min((long) members * (c.maxBufferedPerSigner() * o + (long) c.maxHeightsAhead() * proposal),
                (long) c.maxBufferedMessages() * proposal);
        return thisHeight + later + proposal + members * o;
    }

    /** A message's share of memory as accounted here: its block payload plus a fixed overhead. */
    static long accountedSize(SignedMessage sm) {
        return MESSAGE_OVERHEAD_BYTES + (sm.message() instanceof Proposal p ? p.block().size() : 0);
    }

    // ---- inputs ----

    private void startHeight(long height, MemberSet members, Optional<SafetyRecord> resume) {
        if (started() && height <= s.height) {
            throw new IllegalArgumentException("height " + height + " does not follow " + s.height);
        }
        s = new HeightState(height, members);
        if (resume.isPresent() && resume.get().height() == height) {
            // Restarted inside this height: never sign again in a round we may have signed in, and keep the lock.
            SafetyRecord r = resume.get();
            s.lockedRound = r.lockedRound();
            s.lockedValue = r.lockedValue().orElse(null);
            // Re-propose the locked block as a fresh proposal: the prevotes that justified it are gone with our
            // message log, and a voter's lock rules, not the proposer, keep the chain safe.
            s.validRound = -1;
            s.validValue = s.lockedValue;
            startRound(r.round() + 1);
        } else {
            startRound(0);
        }
        for (FutureBuffer.Pending p : future.takeFor(height)) accept(p.message(), p.signer());
        progress();
    }

    private void receive(SignedMessage sm) {
        if (!started()) {
            drop(DropReason.NOT_STARTED);
            return;
        }
        Optional<DropReason> early = screen.check(sm, s, future);
        if (early.isPresent()) {
            drop(early.get());
            return;
        }
        Optional<Address> from = sm.recoverSigner();
        if (from.isEmpty()) {
            drop(DropReason.BAD_SIGNATURE);
            return;
        }
        if (!s.members.contains(from.get())) {
            drop(DropReason.NOT_MEMBER); // costs nothing to store: not even for a later height
            return;
        }
        ConsensusMessage m = sm.message();
        if (m.height() > s.height) {
            if (m instanceof Proposal && !from.get().equals(s.members.proposer(m.height(), m.round()))) {
                drop(DropReason.NOT_PROPOSER); // judged by today's set; a proposal missed at a switch comes again by gossip
            } else if (!future.add(sm, from.get())) {
                drop(DropReason.BUFFER_FULL);
            }
            return;
        }
        if (m.round() > (long) s.round + config.maxRoundsAhead()) {
            // Beyond the window: remember only how far this member is, for the f+1 round skip.
            s.roundHints.merge(from.get(), m.round(), Math::max);
            drop(DropReason.TOO_FAR_AHEAD);
            progress();
            return;
        }
        accept(sm, from.get());
        if (s.idleWait && s.members.contains(from.get())) {
            // Another member is working on this height (it had work we may not have heard of): time out like it.
            s.idleWait = false;
            if (!s.awaitingBlock) schedule(Step.PROPOSE, s.round);
        }
        progress();
    }

    /** Records a signature-checked message of the current height into the round log. */
    private void accept(SignedMessage sm, Address from) {
        if (!s.members.contains(from)) {
            drop(DropReason.NOT_MEMBER);
            return;
        }
        if (s.seen.contains(sm)) return;
        if (sm.message().round() > (long) s.round + config.maxRoundsAhead()) { // replayed from the future buffer
            s.roundHints.merge(from, sm.message().round(), Math::max);
            drop(DropReason.TOO_FAR_AHEAD);
            return;
        }
        VoteSet.Added added;
        switch (sm.message()) {
            case Proposal p -> {
                if (!from.equals(s.members.proposer(s.height, p.round()))) {
                    drop(DropReason.NOT_PROPOSER);
                    return;
                }
                if (p.block().size() > config.maxProposalBytes()) {
                    drop(DropReason.TOO_LARGE);
                    return;
                }
                if (!hashMatches(p.block())) {
                    drop(DropReason.MALFORMED);
                    return;
                }
                added = s.log(p.round()).addProposal(from, sm, s.members.honestWitness());
            }
            case ConsensusMessage.Certificate c -> { // HotStuff's messages mean nothing here
                drop(DropReason.MALFORMED);
                return;
            }
            case ConsensusMessage.NewRound n -> {
                drop(DropReason.MALFORMED);
                return;
            }
            case Vote v -> {
                RoundLog log = s.log(v.round());
                log.noteSender(from);
                added = (v instanceof Prevote ? log.prevotes : log.precommits).add(from, sm);
            }
        }
        added.conflicting().ifPresent(earlier -> reportEquivocation(from, earlier, sm));
        if (added.stored()) {
            s.seen.add(sm);
            s.storedCount++;
            s.storedBytes += accountedSize(sm);
        }
    }

    private void onTimeout(Timeout t) {
        if (!started() || s.decided || t.height() != s.height) return;
        switch (t.step()) {
            case PROPOSE -> { // L57 OnTimeoutPropose
                if (t.round() == s.round && s.step == Step.PROPOSE) prevote(Optional.empty());
            }
            case PREVOTE -> { // L61 OnTimeoutPrevote
                if (t.round() == s.round && s.step == Step.PREVOTE) precommit(Optional.empty());
            }
            case PRECOMMIT -> { // L65 OnTimeoutPrecommit
                if (t.round() == s.round) startRound(s.round + 1);
            }
        }
        progress();
    }

    private void onBlockAvailable(long height) {
        if (!started() || s.decided || height != s.height || s.step != Step.PROPOSE) return;
        if (s.idleWait) {
            s.idleWait = false;
            if (!s.awaitingBlock) schedule(Step.PROPOSE, s.round);
        }
        if (!s.awaitingBlock) return;
        Optional<ProposedBlock> block = app.proposeBlock(s.height);
        if (block.isPresent()) {
            s.awaitingBlock = false;
            broadcast(new Proposal(s.height, s.round, block.get(), -1));
            progress();
        }
    }

    // ---- the algorithm ----

    /** L11 StartRound. */
    private void startRound(int r) {
        s.round = r;
        s.step = Step.PROPOSE;
        s.awaitingBlock = false;
        s.idleWait = false;
        if (isMember() && s.members.proposer(s.height, r).equals(signer.address())) {
            Optional<ProposedBlock> block = s.validValue != null ? Optional.of(s.validValue) : app.proposeBlock(s.height);
            if (block.isPresent()) {
                broadcast(new Proposal(s.height, r, block.get(), s.validRound));
                // Also time out our own round: a re-proposal whose validRound prevotes nobody holds any more (all
                // restarted) would otherwise leave this member waiting in PROPOSE forever.
                schedule(Step.PROPOSE, r);
                return;
            }
            s.awaitingBlock = true; // idle: propose on BlockAvailable, or prevote nil with the others
        }
        if (r == 0 && !app.hasWork(s.height)) {
            // Idle chain: nobody times out round 0 until there is work (BlockAvailable), so idle members stay quiet.
            s.idleWait = true;
            return;
        }
        schedule(Step.PROPOSE, r);
    }

    private void progress() {
        boolean changed = true;
        while (changed && !s.decided) changed = tryDecide() || trySkipRound() || applyCurrentRoundRules();
    }

    /** L49: a quorum of precommits for a proposed, valid block in any round decides it. */
    private boolean tryDecide() {
        for (Map.Entry<Integer, RoundLog> e : s.rounds.entrySet()) {
            RoundLog log = e.getValue();
            for (BlockHash v : log.precommits.valuesWithQuorum(s.members.quorum())) {
                Optional<Proposal> p = log.proposalFor(v);
                if (p.isPresent() && valid(p.get())) {
                    decide(e.getKey(), log, p.get().block());
                    return true;
                }
            }
        }
        return false;
    }

    private void decide(int r, RoundLog log, ProposedBlock block) {
        s.decided = true;
        List<SignedMessage> precommits = log.precommits.votesFor(Optional.of(block.hash()));
        List<Signature> sigs = precommits.stream().map(SignedMessage::signature).toList();
        out.add(new Effect.Commit(block, new CommitCertificate(s.height, r, block.hash(), sigs)));
        List<SignedMessage> bundle = new ArrayList<>();
        log.signedProposalFor(block.hash()).ifPresent(bundle::add);
        bundle.addAll(precommits);
        lastCommit = List.copyOf(bundle);
    }

    /**
     * L55: f+1 members are already in a later round, so at least one honest one is: join it. Beyond the storage
     * window only each member's highest round is known: the (f+1)-th highest of those is a round at least one honest
     * member has reached.
     */
    private boolean trySkipRound() {
        int target = -1;
        for (Map.Entry<Integer, RoundLog> e : s.rounds.tailMap(s.round, false).entrySet()) {
            if (e.getValue().senderCount() >= s.members.honestWitness()) target = e.getKey();
        }
        int witness = s.members.honestWitness();
        if (s.roundHints.size() >= witness) {
            int hinted = s.roundHints.values().stream().sorted(java.util.Comparator.reverseOrder()).skip(witness - 1)
                    .findFirst().orElse(-1);
            if (hinted > s.round) target = Math.max(target, hinted);
        }
        if (target <= s.round) return false;
        startRound(target);
        return true;
    }

    private boolean applyCurrentRoundRules() {
        RoundLog log = s.log(s.round);
        int quorum = s.members.quorum();
        if (s.step == Step.PROPOSE && prevoteOnProposal(log, quorum)) return true;
        if (s.step.compareTo(Step.PREVOTE) >= 0 && !log.lockRuleFired) { // L36
            for (BlockHash hash : log.prevotes.valuesWithQuorum(quorum)) {
                Optional<Proposal> p = log.proposalFor(hash);
                if (p.isPresent() && valid(p.get())) {
                    log.lockRuleFired = true;
                    ProposedBlock v = p.get().block();
                    if (s.step == Step.PREVOTE) {
                        s.lockedValue = v;
                        s.lockedRound = s.round;
                        precommit(Optional.of(hash));
                    }
                    s.validValue = v;
                    s.validRound = s.round;
                    return true;
                }
            }
        }
        if (s.step == Step.PREVOTE && log.prevotes.count(Optional.empty()) >= quorum) { // L44
            precommit(Optional.empty());
            return true;
        }
        if (s.step == Step.PREVOTE && log.prevotes.total() >= quorum && !log.prevoteTimeoutArmed) { // L34
            log.prevoteTimeoutArmed = true;
            schedule(Step.PREVOTE, s.round);
        }
        if (log.precommits.count(Optional.empty()) >= quorum) {
            // A quorum precommitted nil: no block can gather a quorum of precommits in this round (two quorums share
            // an honest member, who precommits once per round), so waiting out the precommit timeout only delays the
            // next proposer. Go to the next round at once, as CometBFT does. Timing only: safety is unchanged.
            startRound(s.round + 1);
            return true;
        }
        if (log.precommits.total() >= quorum && !log.precommitTimeoutArmed) { // L47
            log.precommitTimeoutArmed = true;
            schedule(Step.PRECOMMIT, s.round);
        }
        return false;
    }

    /** L22 (fresh proposal) and L28 (re-proposal backed by a quorum of prevotes in its validRound). */
    private boolean prevoteOnProposal(RoundLog log, int quorum) {
        for (Proposal p : log.proposals()) {
            ProposedBlock v = p.block();
            if (p.validRound() == -1) {
                boolean ok = valid(p) && (s.lockedRound == -1 || s.isLockedOn(v));
                prevote(ok ? Optional.of(v.hash()) : Optional.empty());
                return true;
            }
            boolean backed = s.existingLog(p.validRound())
                    .map(l -> l.prevotes.count(Optional.of(v.hash())) >= quorum).orElse(false);
            if (backed) {
                boolean ok = valid(p) && (s.lockedRound <= p.validRound() || s.isLockedOn(v));
                prevote(ok ? Optional.of(v.hash()) : Optional.empty());
                return true;
            }
        }
        return false;
    }

    private void prevote(Optional<BlockHash> value) {
        s.step = Step.PREVOTE;
        broadcast(new Prevote(s.height, s.round, value));
    }

    private void precommit(Optional<BlockHash> value) {
        s.step = Step.PRECOMMIT;
        broadcast(new Precommit(s.height, s.round, value));
    }

    // ---- helpers ----

    /** Signs, counts the message for ourselves, and asks the adapter to send it. Observers stay silent. */
    private void broadcast(ConsensusMessage m) {
        if (!isMember()) return;
        SignedMessage sm = SignedMessage.sign(chainId, m, signer);
        out.add(new Effect.PersistSafety(new SafetyRecord(s.height, s.round, s.lockedRound, Optional.ofNullable(s.lockedValue))));
        out.add(new Effect.Broadcast(sm));
        accept(sm, signer.address());
    }

    private void schedule(Step step, int r) {
        TimeoutSchedule t = switch (step) {
            case PROPOSE -> config.propose();
            case PREVOTE -> config.prevote();
            case PRECOMMIT -> config.precommit();
        };
        out.add(new Effect.ScheduleTimeout(new Timeout(s.height, r, step), t.forRound(r)));
    }

    private void reportEquivocation(Address member, SignedMessage first, SignedMessage second) {
        var slot = new HeightState.EvidenceSlot(member, first.message().round(), first.message().getClass());
        if (s.evidenceReported.add(slot)) out.add(new Effect.ReportEvidence(new Equivocation(member, first, second)));
    }

    /**
     * The application's judgement of a proposed block. Final verdicts are remembered for the height; "not yet"
     * (a timestamp ahead of our clock, a header naming a proposer of a round we have not reached) is asked again
     * whenever a rule needs it, so a member that said no early can still lock on and decide the block later.
     */
    private boolean valid(Proposal p) {
        ProposedBlock block = p.block();
        Boolean known = s.validity.get(block.hash());
        if (known != null) return known;
        ConsensusApplication.Verdict verdict;
        try {
            verdict = app.judge(s.height, block, proposersUpTo(Math.max(s.round, p.round())));
        } catch (RuntimeException e) {
            verdict = ConsensusApplication.Verdict.INVALID; // an application that cannot judge a block must not vote for it
        }
        if (verdict == ConsensusApplication.Verdict.NOT_YET) return false;
        boolean ok = verdict == ConsensusApplication.Verdict.VALID;
        s.validity.put(block.hash(), ok);
        return ok;
    }

    /** The proposers of rounds 0..r of this height: who may have built a block proposed or re-proposed by round r. */
    private java.util.Set<Address> proposersUpTo(int r) {
        java.util.Set<Address> out = new java.util.HashSet<>();
        for (int i = 0; i <= r && i < s.members.size(); i++) out.add(s.members.proposer(s.height, i));
        return out;
    }

    private boolean hashMatches(ProposedBlock block) {
        try {
            return app.hashOf(block.payload()).equals(block.hash());
        } catch (RuntimeException e) {
            return false;
        }
    }

    private boolean started() {
        return s != null;
    }

    private boolean isMember() {
        return started() && s.members.contains(signer.address());
    }

    private void drop(DropReason reason) {
        drops.merge(reason, 1L, Long::sum);
    }
}
