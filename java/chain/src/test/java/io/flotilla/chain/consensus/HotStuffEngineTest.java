package io.flotilla.chain.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.consensus.ConsensusEvent.MessageReceived;
import io.flotilla.chain.consensus.ConsensusEvent.StartHeight;
import io.flotilla.chain.consensus.ConsensusEvent.TimeoutFired;
import io.flotilla.chain.consensus.ConsensusMessage.Certificate;
import io.flotilla.chain.consensus.ConsensusMessage.NewRound;
import io.flotilla.chain.consensus.ConsensusMessage.Precommit;
import io.flotilla.chain.consensus.ConsensusMessage.Prevote;
import io.flotilla.chain.consensus.ConsensusMessage.Proposal;
import io.flotilla.chain.consensus.bft.BftConfig;
import io.flotilla.chain.consensus.hotstuff.HotStuffEngine;
import io.flotilla.chain.consensus.sim.Cluster;
import io.flotilla.chain.consensus.sim.SimApplication;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The HotStuff engine of one member of a set of four, driven message by message. At height 1 the leader of round r
 * is member (1 + r) mod 4: member 1 for round 0, 2 for round 1, 3 for round 2.
 */
class HotStuffEngineTest {
    private static final long CHAIN = 777;
    private static final MemberSet MEMBERS = new MemberSet(IntStream.range(0, 4).mapToObj(Cluster::address).toList());
    private static final BftConfig CONFIG = BftConfig.withTimeouts(Duration.ofMillis(1000), Duration.ofMillis(500));
    private static final ProposedBlock B = SimApplication.block(1, "b");
    private static final ProposedBlock B2 = SimApplication.block(1, "b2");

    private final SimApplication app = new SimApplication("n0");
    private HotStuffEngine engine = engineFor(0);

    private HotStuffEngine engineFor(int member) {
        return new HotStuffEngine(CHAIN, Cluster.key(member), app, CONFIG);
    }

    private List<Effect> start() {
        return engine.handle(new StartHeight(1, MEMBERS));
    }

    private List<Effect> from(int member, ConsensusMessage m) {
        return engine.handle(new MessageReceived(SignedMessage.sign(CHAIN, m, Cluster.key(member))));
    }

    private static SignedMessage signed(int member, ConsensusMessage m) {
        return SignedMessage.sign(CHAIN, m, Cluster.key(member));
    }

    /** A certificate of {@code step} for {@code block} at round {@code r}, signed by {@code signers}, relayed by {@code by}. */
    private List<Effect> certificate(int by, Step step, int r, ProposedBlock block, int... signers) {
        ConsensusMessage.Vote vote = step == Step.PREVOTE ? new Prevote(1, r, Optional.of(block.hash()))
                : new Precommit(1, r, Optional.of(block.hash()));
        List<Signature> sigs = IntStream.of(signers).mapToObj(i -> signed(i, vote).signature()).toList();
        return from(by, new Certificate(1, r, step, block.hash(), sigs));
    }

    private static List<Effect.Send> sends(List<Effect> effects) {
        return effects.stream().filter(e -> e instanceof Effect.Send).map(e -> (Effect.Send) e).toList();
    }

    private static List<ConsensusMessage> broadcasts(List<Effect> effects) {
        return effects.stream().filter(e -> e instanceof Effect.Broadcast).map(e -> ((Effect.Broadcast) e).message().message()).toList();
    }

    private long dropped(DropReason reason) {
        return engine.dropCounts().getOrDefault(reason, 0L);
    }

    /** Round 0: member 1 proposes B, member 0 prevotes, the leader's prepare certificate arrives: member 0 locks on B. */
    private List<Effect> lockOnBInRound0() {
        start();
        from(1, new Proposal(1, 0, B, -1));
        return certificate(1, Step.PREVOTE, 0, B, 1, 2, 3);
    }

    @Test
    void aMemberSendsItsPrevoteToTheLeaderOnlyAfterWritingItsSafetyRecord() {
        start();
        List<Effect> effects = from(1, new Proposal(1, 0, B, -1));

        List<Effect.Send> sends = sends(effects);
        assertEquals(1, sends.size(), "one vote: " + effects);
        assertEquals(Cluster.address(1), sends.get(0).to(), "to the round's leader");
        assertEquals(new Prevote(1, 0, Optional.of(B.hash())), sends.get(0).message().message());
        assertTrue(broadcasts(effects).isEmpty(), "a vote is not sent to every member");
        assertTrue(effects.indexOf(effects.stream().filter(e -> e instanceof Effect.PersistSafety).findFirst().orElseThrow())
                < effects.indexOf(sends.get(0)), "the safety record first");
    }

    @Test
    void aValidPrepareCertificateLocksTheMemberAndItPrecommitsToTheLeader() {
        List<Effect> effects = lockOnBInRound0();

        List<Effect.Send> sends = sends(effects);
        assertEquals(List.of(new Precommit(1, 0, Optional.of(B.hash()))), sends.stream().map(s -> s.message().message()).toList());
        assertEquals(Cluster.address(1), sends.get(0).to());
        SafetyRecord record = effects.stream().filter(e -> e instanceof Effect.PersistSafety)
                .map(e -> ((Effect.PersistSafety) e).record()).reduce((a, b) -> b).orElseThrow();
        assertEquals(0, record.lockedRound(), "the lock is persisted before the precommit leaves");
        assertEquals(Optional.of(B), record.lockedValue());
    }

    @Test
    void certificatesBelowQuorumWithStrangersOrWithARepeatedSignerAreRefused() {
        start();
        from(1, new Proposal(1, 0, B, -1));

        assertTrue(sends(certificate(1, Step.PREVOTE, 0, B, 1, 2)).isEmpty(), "2 of 4 is below the quorum of 3");
        assertTrue(sends(certificate(2, Step.PREVOTE, 0, B, 1, 2, 9)).isEmpty(), "member 9 is not in the set");
        assertTrue(sends(certificate(3, Step.PREVOTE, 0, B, 1, 2, 2)).isEmpty(), "member 2 twice is not a quorum");
        assertEquals(3, dropped(DropReason.MALFORMED));
        // Checking a certificate costs a quorum of signature recoveries: a member that sent a bad one gets no more checked.
        assertTrue(certificate(1, Step.PRECOMMIT, 0, B, 1, 2, 3).stream().noneMatch(e -> e instanceof Effect.Commit),
                "member 1 sent a bad certificate this height");
        assertEquals(3, dropped(DropReason.MALFORMED));
        assertEquals(1, dropped(DropReason.DUPLICATE));
        assertFalse(engine.status().decided());
        assertEquals(Step.PREVOTE, engine.status().step(), "still waiting for a real certificate");
    }

    @Test
    void aCommitCertificateDecidesTheBlockWithACertificateAnyoneCanCheck() {
        lockOnBInRound0();
        List<Effect> effects = certificate(1, Step.PRECOMMIT, 0, B, 0, 2, 3);

        Effect.Commit commit = effects.stream().filter(e -> e instanceof Effect.Commit).map(e -> (Effect.Commit) e).findFirst().orElseThrow();
        assertEquals(B, commit.block());
        assertTrue(CommitCertificate.verify(commit.certificate(), MEMBERS, CHAIN));
        assertFalse(CommitCertificate.verify(commit.certificate(), MEMBERS, CHAIN + 1), "bound to the chain");
        assertTrue(engine.status().decided());
    }

    @Test
    void theLeaderGathersVotesIntoCertificatesAndDecides() {
        engine = engineFor(1);
        List<Effect> started = start();
        Proposal proposal = (Proposal) broadcasts(started).get(0);
        ProposedBlock block = proposal.block();

        from(0, new Prevote(1, 0, Optional.of(block.hash())));
        List<Effect> prepared = from(2, new Prevote(1, 0, Optional.of(block.hash())));
        Certificate qc = (Certificate) broadcasts(prepared).stream().filter(m -> m instanceof Certificate).findFirst().orElseThrow();
        assertEquals(Step.PREVOTE, qc.step());
        assertEquals(3, qc.signatures().size(), "a quorum, its own prevote included");

        from(0, new Precommit(1, 0, Optional.of(block.hash())));
        List<Effect> decided = from(3, new Precommit(1, 0, Optional.of(block.hash())));
        Certificate cc = (Certificate) broadcasts(decided).stream().filter(m -> m instanceof Certificate).findFirst().orElseThrow();
        assertEquals(Step.PRECOMMIT, cc.step());
        Effect.Commit commit = decided.stream().filter(e -> e instanceof Effect.Commit).map(e -> (Effect.Commit) e).findFirst().orElseThrow();
        assertTrue(CommitCertificate.verify(commit.certificate(), MEMBERS, CHAIN));
    }

    @Test
    void aLockedMemberIgnoresAFreshProposalOfAnotherBlockInALaterRound() {
        lockOnBInRound0();
        List<Effect> timedOut = engine.handle(new TimeoutFired(new Timeout(1, 0, Step.PROPOSE)));
        assertEquals(List.of(new NewRound(1, 1)), broadcasts(timedOut), "the view change goes to every member");

        assertTrue(sends(from(2, new Proposal(1, 1, B2, -1))).isEmpty(), "locked on B: no vote for a fresh B2");
    }

    @Test
    void aLockedMemberVotesForItsBlockReProposedWithItsCertificate() {
        lockOnBInRound0();
        engine.handle(new TimeoutFired(new Timeout(1, 0, Step.PROPOSE)));

        List<Effect> effects = from(2, new Proposal(1, 1, B, 0));
        assertEquals(List.of(new Prevote(1, 1, Optional.of(B.hash()))), sends(effects).stream().map(s -> s.message().message()).toList());
    }

    @Test
    void aLockIsReleasedOnlyByACertificateOfALaterRound() {
        lockOnBInRound0();
        engine.handle(new TimeoutFired(new Timeout(1, 0, Step.PROPOSE)));
        from(2, new Proposal(1, 1, B2, -1)); // ignored: locked on B
        engine.handle(new TimeoutFired(new Timeout(1, 1, Step.PROPOSE)));
        // Members 1, 2 and 3 prevoted B2 in round 1 (this member had left it): a quorum saw B2 as safe after the lock.
        certificate(2, Step.PREVOTE, 1, B2, 1, 2, 3);
        assertEquals(2, engine.status().round());

        assertTrue(sends(from(3, new Proposal(1, 2, B2, 0))).isEmpty(), "no certificate for B2 at round 0 exists");
        List<Effect> effects = from(3, new Proposal(1, 2, B2, 1));
        assertEquals(List.of(new Prevote(1, 2, Optional.of(B2.hash()))), sends(effects).stream().map(s -> s.message().message()).toList(),
                "a certificate from round 1 >= the lock's round 0 releases it");
    }

    @Test
    void aReProposalWaitsForItsCertificate() {
        start();
        engine.handle(new TimeoutFired(new Timeout(1, 0, Step.PROPOSE)));
        assertTrue(sends(from(2, new Proposal(1, 1, B, 0))).isEmpty(), "validRound 0 but no certificate in hand");
        assertEquals(1, engine.status().round());

        List<Effect> effects = certificate(2, Step.PREVOTE, 0, B, 1, 2, 3);
        assertEquals(List.of(new Prevote(1, 1, Optional.of(B.hash()))), sends(effects).stream().map(s -> s.message().message()).toList());
    }

    @Test
    void fPlusOneMembersInALaterRoundPullTheMemberThere() {
        start();
        from(2, new NewRound(1, 3));
        assertEquals(0, engine.status().round(), "one member could be faulty");
        from(3, new NewRound(1, 3));
        assertEquals(3, engine.status().round(), "two (f+1) include an honest one");
    }

    @Test
    void aLeaderProposingTwoBlocksIsReportedAndGetsOneVote() {
        start();
        List<Effect> first = from(1, new Proposal(1, 0, B, -1));
        List<Effect> second = from(1, new Proposal(1, 0, B2, -1));

        assertEquals(1, sends(first).size());
        assertTrue(sends(second).isEmpty(), "one prevote per round");
        Equivocation evidence = second.stream().filter(e -> e instanceof Effect.ReportEvidence)
                .map(e -> ((Effect.ReportEvidence) e).evidence()).findFirst().orElseThrow();
        assertEquals(Cluster.address(1), evidence.member());
        assertTrue(Equivocation.verify(evidence, CHAIN));
    }

    @Test
    void aProposalFromAMemberThatDoesNotLeadTheRoundIsDropped() {
        start();
        assertTrue(sends(from(2, new Proposal(1, 0, B, -1))).isEmpty());
        assertEquals(1, dropped(DropReason.NOT_PROPOSER));
    }

    @Test
    void afterARestartInsideAHeightTheMemberKeepsItsLockAndNeverSignsInARoundItSignedIn() {
        engine.handle(new StartHeight(1, MEMBERS, Optional.of(new SafetyRecord(1, 0, 0, Optional.of(B)))));
        assertEquals(1, engine.status().round(), "resumes after the last round it signed in");

        assertTrue(sends(from(2, new Proposal(1, 1, B2, -1))).isEmpty(), "the lock on B survived the restart");
    }

    @Test
    void certificateMessagesSurviveTheWire() {
        List<Signature> sigs = IntStream.of(1, 2, 3).mapToObj(i -> signed(i, new Prevote(1, 0, Optional.of(B.hash()))).signature()).toList();
        SignedMessage qc = signed(1, new Certificate(1, 0, Step.PREVOTE, B.hash(), sigs));
        SignedMessage back = MessageCodec.decode(MessageCodec.encode(qc));
        assertEquals(qc, back);
        assertEquals(Optional.of(Cluster.address(1)), back.recoverSigner());
        SignedMessage nr = signed(2, new NewRound(1, 4));
        assertEquals(nr, MessageCodec.decode(MessageCodec.encode(nr)));
    }
}
