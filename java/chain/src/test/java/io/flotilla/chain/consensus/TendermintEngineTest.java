package io.flotilla.chain.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.consensus.ConsensusEvent.BlockAvailable;
import io.flotilla.chain.consensus.ConsensusEvent.MessageReceived;
import io.flotilla.chain.consensus.ConsensusEvent.StartHeight;
import io.flotilla.chain.consensus.ConsensusEvent.TimeoutFired;
import io.flotilla.chain.consensus.ConsensusMessage.Precommit;
import io.flotilla.chain.consensus.ConsensusMessage.Prevote;
import io.flotilla.chain.consensus.ConsensusMessage.Proposal;
import io.flotilla.chain.consensus.bft.BftConfig;
import io.flotilla.chain.consensus.bft.TendermintEngine;
import io.flotilla.chain.consensus.sim.Cluster;
import io.flotilla.chain.consensus.sim.SimApplication;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The engine of member 0 in a set of four, driven message by message. At height 1 the proposer
 * of round r is member (1 + r) mod 4: member 1 for round 0, 2 for round 1, 3 for round 2.
 */
class TendermintEngineTest {
    private static final long CHAIN = 777;
    private static final MemberSet MEMBERS = new MemberSet(IntStream.range(0, 4).mapToObj(Cluster::address).toList());
    private static final BftConfig CONFIG = BftConfig.withTimeouts(Duration.ofMillis(1000), Duration.ofMillis(500));
    private static final ProposedBlock B = SimApplication.block(1, "b");
    private static final ProposedBlock B2 = SimApplication.block(1, "b2");
    private static final Optional<BlockHash> NIL = Optional.empty();

    private final SimApplication app = new SimApplication("n0");
    private final TendermintEngine engine = engineFor(0, app);

    private static TendermintEngine engineFor(int member, SimApplication app) {
        return new TendermintEngine(CHAIN, Cluster.key(member), app, CONFIG);
    }

    private List<Effect> start() {
        return engine.handle(new StartHeight(1, MEMBERS));
    }

    private List<Effect> from(int member, ConsensusMessage m) {
        return engine.handle(new MessageReceived(SignedMessage.sign(CHAIN, m, Cluster.key(member))));
    }

    private List<Effect> fire(int round, Step step) {
        return engine.handle(new TimeoutFired(new Timeout(1, round, step)));
    }

    private static List<ConsensusMessage> sent(List<Effect> effects) {
        return effects.stream().filter(e -> e instanceof Effect.Broadcast)
                .map(e -> ((Effect.Broadcast) e).message().message()).toList();
    }

    private static Optional<BlockHash> id(ProposedBlock b) {
        return Optional.of(b.hash());
    }

    private long dropped(DropReason reason) {
        return engine.dropCounts().getOrDefault(reason, 0L);
    }

    /** Round 0: B proposed, everyone prevotes it, so member 0 locks on B and precommits it. */
    private void lockOnBInRound0() {
        start();
        prevoteQuorumForBInRound0();
    }

    private void prevoteQuorumForBInRound0() {
        from(1, new Proposal(1, 0, B, -1));
        from(2, new Prevote(1, 0, id(B)));
        from(3, new Prevote(1, 0, id(B)));
    }

    /** Round 0 ends without decision: two nil precommits join ours, the precommit timeout fires. */
    private void moveToRound1() {
        from(1, new Precommit(1, 0, NIL));
        from(2, new Precommit(1, 0, NIL));
        fire(0, Step.PRECOMMIT);
    }

    @Nested
    class StartingARound {
        @Test
        void aNonProposerWaitsForTheProposalWithATimeout() {
            List<Effect> effects = start();
            assertEquals(List.of(new Effect.ScheduleTimeout(new Timeout(1, 0, Step.PROPOSE), Duration.ofMillis(1000))),
                    effects);
        }

        @Test
        void theProposerProposesAFreshBlockAndPrevotesIt() {
            TendermintEngine proposer = engineFor(1, new SimApplication("n1"));
            List<ConsensusMessage> out = sent(proposer.handle(new StartHeight(1, MEMBERS)));
            Proposal p = (Proposal) out.get(0);
            assertEquals(-1, p.validRound());
            assertEquals(new Prevote(1, 0, id(p.block())), out.get(1));
        }

        @Test
        void anIdleProposerProposesOnceABlockIsAvailable() {
            SimApplication idle = new SimApplication("n1");
            idle.setIdle(true);
            TendermintEngine proposer = engineFor(1, idle);
            assertTrue(sent(proposer.handle(new StartHeight(1, MEMBERS))).isEmpty());

            idle.setIdle(false);
            List<ConsensusMessage> out = sent(proposer.handle(new BlockAvailable(1)));
            assertTrue(out.get(0) instanceof Proposal);
        }

        @Test
        void timeoutsGrowLinearlyWithTheRound() {
            start();
            from(1, new Prevote(1, 4, NIL));
            List<Effect> effects = from(2, new Prevote(1, 4, NIL));
            assertTrue(effects.contains(new Effect.ScheduleTimeout(new Timeout(1, 4, Step.PROPOSE), Duration.ofMillis(3000))));
        }

        @Test
        void heightsOnlyMoveForward() {
            start();
            assertThrows(IllegalArgumentException.class, () -> engine.handle(new StartHeight(1, MEMBERS)));
        }
    }

    @Nested
    class Prevoting {
        @Test
        void aValidProposalGetsAPrevoteForItsHash() {
            start();
            assertEquals(List.of(new Prevote(1, 0, id(B))), sent(from(1, new Proposal(1, 0, B, -1))));
        }

        @Test
        void anInvalidBlockGetsANilPrevote() {
            start();
            ProposedBlock wrongHeight = SimApplication.block(2, "b");
            assertEquals(List.of(new Prevote(1, 0, NIL)), sent(from(1, new Proposal(1, 0, wrongHeight, -1))));
        }

        @Test
        void withoutAProposalTheProposeTimeoutCausesANilPrevote() {
            start();
            assertEquals(List.of(new Prevote(1, 0, NIL)), sent(fire(0, Step.PROPOSE)));
        }

        @Test
        void aTimeoutForAnotherRoundOrStepIsIgnored() {
            start();
            assertTrue(fire(3, Step.PROPOSE).isEmpty());
            assertTrue(fire(0, Step.PREVOTE).isEmpty());
        }

        @Test
        void aLockedMemberPrevotesNilForADifferentFreshBlock() {
            lockOnBInRound0();
            moveToRound1();
            assertEquals(List.of(new Prevote(1, 1, NIL)), sent(from(2, new Proposal(1, 1, B2, -1))));
        }

        @Test
        void aLockIsReleasedByAReproposalBackedByALaterQuorumOfPrevotes() {
            lockOnBInRound0();
            moveToRound1();
            fire(1, Step.PROPOSE); // round 1's proposal never arrives here
            for (int m = 1; m <= 3; m++) from(m, new Prevote(1, 1, id(B2)));
            fire(1, Step.PREVOTE);
            from(1, new Precommit(1, 1, NIL));
            from(2, new Precommit(1, 1, NIL));
            fire(1, Step.PRECOMMIT);

            // Member 3 re-proposes B2 citing round 1, where a quorum prevoted it: later than our lock.
            assertEquals(List.of(new Prevote(1, 2, id(B2))), sent(from(3, new Proposal(1, 2, B2, 1))));
        }
    }

    @Nested
    class PrecommittingAndDeciding {
        @Test
        void aQuorumOfPrevotesForTheProposalLocksAndPrecommitsIt() {
            start();
            from(1, new Proposal(1, 0, B, -1));
            from(2, new Prevote(1, 0, id(B)));
            assertEquals(List.of(new Precommit(1, 0, id(B))), sent(from(3, new Prevote(1, 0, id(B)))));
        }

        @Test
        void aQuorumOfNilPrevotesLeadsToANilPrecommit() {
            start();
            fire(0, Step.PROPOSE);
            from(1, new Prevote(1, 0, NIL));
            assertEquals(List.of(new Precommit(1, 0, NIL)), sent(from(2, new Prevote(1, 0, NIL))));
        }

        @Test
        void aQuorumOfNilPrecommitsStartsTheNextRoundWithoutWaitingForTheTimeout() {
            start();
            fire(0, Step.PROPOSE);
            from(1, new Prevote(1, 0, NIL));
            from(2, new Prevote(1, 0, NIL)); // our nil precommit follows
            from(1, new Precommit(1, 0, NIL));
            assertEquals(0, engine.status().round(), "two nil precommits of four are no quorum");
            from(2, new Precommit(1, 0, NIL));
            assertEquals(1, engine.status().round(), "a quorum of nil precommits: nothing can be decided in round 0");
        }

        @Test
        void aQuorumOfPrecommitsSplitBetweenABlockAndNilWaitsForThePrecommitTimeout() {
            lockOnBInRound0(); // we precommit B
            from(1, new Precommit(1, 0, NIL));
            from(2, new Precommit(1, 0, NIL));
            assertEquals(0, engine.status().round(), "B could still gather a quorum");
            fire(0, Step.PRECOMMIT);
            assertEquals(1, engine.status().round());
        }

        @Test
        void aQuorumOfPrecommitsCommitsTheBlockWithAVerifiableCertificate() {
            lockOnBInRound0();
            from(1, new Precommit(1, 0, id(B)));
            List<Effect> effects = from(2, new Precommit(1, 0, id(B)));

            Effect.Commit commit = (Effect.Commit) effects.stream().filter(e -> e instanceof Effect.Commit).findFirst().orElseThrow();
            assertEquals(B, commit.block());
            assertEquals(3, commit.certificate().signatures().size());
            assertTrue(CommitCertificate.verify(commit.certificate(), MEMBERS, CHAIN));
            assertTrue(engine.status().decided());
        }

        @Test
        void messagesForADecidedHeightAreStale() {
            lockOnBInRound0();
            from(1, new Precommit(1, 0, id(B)));
            from(2, new Precommit(1, 0, id(B)));
            assertTrue(from(3, new Precommit(1, 0, id(B))).isEmpty());
            assertEquals(1, dropped(DropReason.STALE));
        }

        @Test
        void fPlusOneMembersInALaterRoundPullUsThere() {
            start();
            from(1, new Prevote(1, 5, NIL));
            assertEquals(0, engine.status().round(), "one member could be faulty");
            from(2, new Prevote(1, 5, NIL));
            assertEquals(5, engine.status().round());
        }

        @Test
        void messagesForTheNextHeightWaitUntilItStarts() {
            ProposedBlock c = SimApplication.block(2, "c");
            start();
            assertTrue(from(2, new Proposal(2, 0, c, -1)).isEmpty()); // member 2 proposes at (2, 0)
            prevoteQuorumForBInRound0();
            from(1, new Precommit(1, 0, id(B)));
            from(2, new Precommit(1, 0, id(B)));

            List<Effect> effects = engine.handle(new StartHeight(2, MEMBERS));
            assertEquals(List.of(new Prevote(2, 0, id(c))), sent(effects));
        }

        @Test
        void aNonMemberFollowsTheDecisionButNeverSigns() {
            TendermintEngine observer = engineFor(5, new SimApplication("n5"));
            List<Effect> all = new java.util.ArrayList<>(observer.handle(new StartHeight(1, MEMBERS)));
            java.util.function.BiConsumer<Integer, ConsensusMessage> feed = (m, msg) -> all.addAll(
                    observer.handle(new MessageReceived(SignedMessage.sign(CHAIN, msg, Cluster.key(m)))));
            feed.accept(1, new Proposal(1, 0, B, -1));
            for (int m = 1; m <= 3; m++) feed.accept(m, new Prevote(1, 0, id(B)));
            for (int m = 1; m <= 3; m++) feed.accept(m, new Precommit(1, 0, id(B)));

            assertTrue(sent(all).isEmpty());
            assertTrue(all.stream().anyMatch(e -> e instanceof Effect.Commit c && c.block().equals(B)));
            assertFalse(observer.status().member());
        }
    }

    @Nested
    class Evidence {
        @Test
        void aMemberVotingTwiceInOneRoundIsReportedOnce() {
            start();
            from(2, new Prevote(1, 0, id(B)));
            List<Effect> effects = from(2, new Prevote(1, 0, NIL));
            Equivocation e = effects.stream().filter(x -> x instanceof Effect.ReportEvidence)
                    .map(x -> ((Effect.ReportEvidence) x).evidence()).findFirst().orElseThrow();
            assertEquals(Cluster.address(2), e.member());
            assertTrue(Equivocation.verify(e, CHAIN));
            assertTrue(from(2, new Prevote(1, 0, id(B2))).stream().noneMatch(x -> x instanceof Effect.ReportEvidence));
        }

        @Test
        void aProposerProposingTwoBlocksInOneRoundIsReported() {
            start();
            from(1, new Proposal(1, 0, B, -1));
            assertTrue(from(1, new Proposal(1, 0, B2, -1)).stream().anyMatch(x -> x instanceof Effect.ReportEvidence));
        }

        @Test
        void evidenceMustPairTwoMessagesOfOneKindForOneSlot() {
            SignedMessage prevote = SignedMessage.sign(CHAIN, new Prevote(1, 0, id(B)), Cluster.key(2));
            SignedMessage precommit = SignedMessage.sign(CHAIN, new Precommit(1, 0, NIL), Cluster.key(2));
            SignedMessage laterRound = SignedMessage.sign(CHAIN, new Prevote(1, 1, NIL), Cluster.key(2));
            SignedMessage sameVote = SignedMessage.sign(CHAIN, new Prevote(1, 0, id(B)), Cluster.key(2));
            SignedMessage othersVote = SignedMessage.sign(CHAIN, new Prevote(1, 0, NIL), Cluster.key(3));
            Address member = Cluster.address(2);
            assertFalse(Equivocation.verify(new Equivocation(member, prevote, precommit), CHAIN));
            assertFalse(Equivocation.verify(new Equivocation(member, prevote, laterRound), CHAIN));
            assertFalse(Equivocation.verify(new Equivocation(member, prevote, sameVote), CHAIN));
            assertFalse(Equivocation.verify(new Equivocation(member, prevote, othersVote), CHAIN));
        }

        @Test
        void votesInDifferentRoundsOrOfDifferentKindsAreNotEquivocation() {
            start();
            from(2, new Prevote(1, 0, id(B)));
            from(2, new Precommit(1, 0, NIL));
            List<Effect> effects = from(2, new Prevote(1, 1, NIL));
            assertTrue(effects.stream().noneMatch(x -> x instanceof Effect.ReportEvidence));
        }
    }

    @Nested
    class DroppingBadMessages {
        @Test
        void messagesFromNonMembersAreDroppedAndCounted() {
            start();
            assertTrue(from(5, new Prevote(1, 0, NIL)).isEmpty());
            assertEquals(1, dropped(DropReason.NOT_MEMBER));
        }

        @Test
        void aQuorumOfNonMembersCannotMoveTheEngine() {
            start();
            from(1, new Proposal(1, 0, B, -1));
            for (int outsider = 4; outsider <= 6; outsider++) {
                assertTrue(from(outsider, new Prevote(1, 0, id(B))).isEmpty());
            }
            assertEquals(Step.PREVOTE, engine.status().step());
        }

        @Test
        void anUnrecoverableSignatureIsDropped() {
            start();
            SignedMessage good = SignedMessage.sign(CHAIN, new Prevote(1, 0, NIL), Cluster.key(1));
            Signature broken = new Signature(BigInteger.ZERO, good.signature().s(), good.signature().recId());
            assertTrue(engine.handle(new MessageReceived(new SignedMessage(CHAIN, good.message(), broken))).isEmpty());
            assertEquals(1, dropped(DropReason.BAD_SIGNATURE));
        }

        @Test
        void aSignatureMovedOntoOtherContentDoesNotVerifyAsTheMember() {
            start();
            SignedMessage good = SignedMessage.sign(CHAIN, new Prevote(1, 0, id(B)), Cluster.key(1));
            SignedMessage forged = new SignedMessage(CHAIN, new Prevote(1, 0, NIL), good.signature());
            assertTrue(engine.handle(new MessageReceived(forged)).isEmpty());
            assertEquals(1, dropped(DropReason.NOT_MEMBER) + dropped(DropReason.BAD_SIGNATURE));
        }

        @Test
        void messagesForAnotherChainAreDropped() {
            start();
            SignedMessage other = SignedMessage.sign(CHAIN + 1, new Prevote(1, 0, NIL), Cluster.key(1));
            engine.handle(new MessageReceived(other));
            assertEquals(1, dropped(DropReason.WRONG_CHAIN));

            SignedMessage relabelled = new SignedMessage(CHAIN, other.message(), other.signature());
            engine.handle(new MessageReceived(relabelled)); // a replay from another chain
            assertEquals(1, dropped(DropReason.NOT_MEMBER) + dropped(DropReason.BAD_SIGNATURE));
        }

        @Test
        void heightsAndRoundsFarAheadAreDropped() {
            start();
            from(1, new Prevote(4, 0, NIL));
            from(1, new Prevote(1, 5000, NIL));
            assertEquals(2, dropped(DropReason.TOO_FAR_AHEAD));
        }

        @Test
        void aProposalFromAnyoneButTheRoundsProposerIsDropped() {
            start();
            assertTrue(from(2, new Proposal(1, 0, B, -1)).isEmpty());
            assertEquals(1, dropped(DropReason.NOT_PROPOSER));
        }

        @Test
        void aProposalWhoseHashDoesNotCommitToItsPayloadIsDropped() {
            start();
            ProposedBlock mislabelled = new ProposedBlock(B2.hash(), B.payload());
            assertTrue(from(1, new Proposal(1, 0, mislabelled, -1)).isEmpty());
            assertEquals(1, dropped(DropReason.MALFORMED));
        }

        @Test
        void aValidRoundNotBeforeTheRoundIsMalformed() {
            start();
            assertTrue(from(1, new Proposal(1, 0, B, 0)).isEmpty());
            assertEquals(1, dropped(DropReason.MALFORMED));
        }

        @Test
        void oneMemberFloodingFutureHeightsCannotCrowdOutTheOthers() {
            BftConfig tight = new BftConfig(CONFIG.propose(), CONFIG.prevote(), CONFIG.precommit(), 2, 1000, 100, 2);
            TendermintEngine e = new TendermintEngine(CHAIN, Cluster.key(0), app, tight);
            e.handle(new StartHeight(1, MEMBERS));
            for (int r = 0; r < 5; r++) {
                e.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Prevote(2, r, NIL), Cluster.key(3))));
            }
            e.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Prevote(2, 0, NIL), Cluster.key(1))));
            assertEquals(Map.of(DropReason.BUFFER_FULL, 3L), e.dropCounts());
        }

        @Test
        void duplicatesAreIgnored() {
            start();
            SignedMessage vote = SignedMessage.sign(CHAIN, new Prevote(1, 0, NIL), Cluster.key(1));
            engine.handle(new MessageReceived(vote));
            assertTrue(engine.handle(new MessageReceived(vote)).isEmpty());
            assertEquals(1, dropped(DropReason.DUPLICATE));
        }

        @Test
        void messagesBeforeTheFirstHeightStartsAreDropped() {
            from(1, new Prevote(1, 0, NIL));
            assertEquals(1, dropped(DropReason.NOT_STARTED));
        }
    }

    /** An application with nothing to decide until told otherwise (an idle chain). */
    private static final class IdleApplication implements ConsensusApplication {
        private final SimApplication inner = new SimApplication("idle");
        boolean work;

        @Override
        public Optional<ProposedBlock> proposeBlock(long height) {
            return work ? inner.proposeBlock(height) : Optional.empty();
        }

        @Override
        public boolean isValid(long height, ProposedBlock block) {
            return inner.isValid(height, block);
        }

        @Override
        public boolean hasWork(long height) {
            return work;
        }
    }

    @Nested
    class IdleChains {
        @Test
        void withoutWorkRound0StartsNoTimeoutSoAnIdleChainStaysQuiet() {
            IdleApplication idle = new IdleApplication();
            TendermintEngine e = new TendermintEngine(CHAIN, Cluster.key(0), idle, CONFIG);
            assertTrue(e.handle(new StartHeight(1, MEMBERS)).isEmpty());
        }

        @Test
        void workArrivingStartsTheProposeTimeoutOnce() {
            IdleApplication idle = new IdleApplication();
            TendermintEngine e = new TendermintEngine(CHAIN, Cluster.key(0), idle, CONFIG);
            e.handle(new StartHeight(1, MEMBERS));
            idle.work = true;
            assertEquals(List.of(new Effect.ScheduleTimeout(new Timeout(1, 0, Step.PROPOSE), Duration.ofMillis(1000))),
                    e.handle(new BlockAvailable(1)));
            assertTrue(e.handle(new BlockAvailable(1)).isEmpty());
        }

        @Test
        void anIdleMemberStillVotesForAProposalThatArrives() {
            IdleApplication idle = new IdleApplication();
            TendermintEngine e = new TendermintEngine(CHAIN, Cluster.key(0), idle, CONFIG);
            e.handle(new StartHeight(1, MEMBERS));
            List<Effect> effects = e.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Proposal(1, 0, B, -1), Cluster.key(1))));
            assertEquals(List.of(new Prevote(1, 0, id(B))), sent(effects));
        }

        @Test
        void aVoteFromAnotherMemberStartsTheProposeTimeout() {
            IdleApplication idle = new IdleApplication();
            TendermintEngine e = new TendermintEngine(CHAIN, Cluster.key(0), idle, CONFIG);
            e.handle(new StartHeight(1, MEMBERS));
            List<Effect> effects = e.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Prevote(1, 0, NIL), Cluster.key(2))));
            assertEquals(List.of(new Effect.ScheduleTimeout(new Timeout(1, 0, Step.PROPOSE), Duration.ofMillis(1000))), effects);
        }

        @Test
        void laterRoundsTimeOutEvenWhenIdle() {
            IdleApplication idle = new IdleApplication();
            TendermintEngine e = new TendermintEngine(CHAIN, Cluster.key(0), idle, CONFIG);
            e.handle(new StartHeight(1, MEMBERS));
            e.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Prevote(1, 1, NIL), Cluster.key(1))));
            List<Effect> effects = e.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Prevote(1, 1, NIL), Cluster.key(2))));
            assertTrue(effects.contains(new Effect.ScheduleTimeout(new Timeout(1, 1, Step.PROPOSE), Duration.ofMillis(1500))));
        }
    }

    @Nested
    class SurvivingARestart {
        @Test
        void everySignedMessageIsPrecededByTheRecordToPersist() {
            start();
            List<Effect> effects = new java.util.ArrayList<>();
            effects.addAll(from(1, new Proposal(1, 0, B, -1)));
            effects.addAll(from(2, new Prevote(1, 0, id(B))));
            effects.addAll(from(3, new Prevote(1, 0, id(B))));
            int broadcasts = 0;
            for (int i = 0; i < effects.size(); i++) {
                if (effects.get(i) instanceof Effect.Broadcast) {
                    broadcasts++;
                    assertTrue(i > 0 && effects.get(i - 1) instanceof Effect.PersistSafety, "record before broadcast " + i);
                }
            }
            assertEquals(2, broadcasts); // prevote and precommit for B
            Effect.PersistSafety last = (Effect.PersistSafety) effects.stream().filter(e -> e instanceof Effect.PersistSafety)
                    .reduce((a, b) -> b).orElseThrow();
            assertEquals(new SafetyRecord(1, 0, 0, Optional.of(B)), last.record());
        }

        @Test
        void theRecordSurvivesEncoding() {
            SafetyRecord locked = new SafetyRecord(9, 3, 2, Optional.of(B));
            assertEquals(locked, SafetyRecord.decode(locked.encode()));
            SafetyRecord free = new SafetyRecord(9, 0, -1, Optional.empty());
            assertEquals(free, SafetyRecord.decode(free.encode()));
        }

        @Test
        void aRestartedMemberNeverVotesAgainInARoundItSignedIn() {
            lockOnBInRound0();
            TendermintEngine restarted = engineFor(0, new SimApplication("n0"));
            restarted.handle(new StartHeight(1, MEMBERS, Optional.of(new SafetyRecord(1, 0, 0, Optional.of(B)))));
            assertEquals(1, restarted.status().round());
            // Round-0 messages of others no longer make it vote in round 0.
            List<Effect> effects = restarted.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Proposal(1, 0, B2, -1), Cluster.key(1))));
            assertTrue(sent(effects).stream().noneMatch(m -> m.round() == 0));
        }

        @Test
        void aRestartedMemberKeepsItsLock() {
            TendermintEngine restarted = engineFor(0, new SimApplication("n0"));
            restarted.handle(new StartHeight(1, MEMBERS, Optional.of(new SafetyRecord(1, 0, 0, Optional.of(B)))));
            // Round 1's proposer offers a different fresh block: a locked member prevotes nil.
            List<Effect> effects = restarted.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Proposal(1, 1, B2, -1), Cluster.key(2))));
            assertEquals(List.of(new Prevote(1, 1, NIL)), sent(effects));
        }

        @Test
        void aRecordOfAnEarlierHeightIsIgnored() {
            TendermintEngine restarted = engineFor(0, new SimApplication("n0"));
            restarted.handle(new StartHeight(2, MEMBERS, Optional.of(new SafetyRecord(1, 5, 0, Optional.of(B)))));
            assertEquals(0, restarted.status().round());
        }
    }

    /** What a flood of junk can make an engine keep: at most the documented bound, and nothing from outsiders. */
    @Nested
    class BoundedInputs {
        private final int limit = CONFIG.maxProposalBytes();

        private void send(TendermintEngine e, int signer, ConsensusMessage m) {
            e.handle(new MessageReceived(SignedMessage.sign(CHAIN, m, Cluster.key(signer))));
        }

        private ProposedBlock big(long height, String tag, int size) {
            byte[] head = ("h=" + height + ";" + tag + ";").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            byte[] payload = java.util.Arrays.copyOf(head, Math.max(size, head.length));
            return ProposedBlock.of(payload);
        }

        /** Every kind of junk one faulty member (3, with its real key) and 40 fresh keys can sign. */
        private void flood(TendermintEngine e) {
            List<Integer> signers = new java.util.ArrayList<>(List.of(3));
            for (int k = 100; k < 140; k++) signers.add(k);
            for (int signer : signers) {
                boolean member = signer == 3;
                for (long h = 1; h <= 4; h++) {
                    for (int r : new int[] {0, 1, 2, 3, 4, 6, 10, 50, 999, 5000}) {
                        // Large proposals: for our height and later ones, as proposer and not, some over the limit.
                        int copies = member ? 3 : 1;
                        for (int c = 0; c < copies; c++) {
                            int size = (member && r <= 10) ? limit : 1024;
                            send(e, signer, new Proposal(h, r, big(h, "junk" + signer + "/" + r + "/" + c, size), -1));
                        }
                        if (member && r == 2) send(e, signer, new Proposal(h, r, big(h, "huge", limit + 1), -1));
                        // Votes for many values, nil included.
                        for (int v = 0; v < (member ? 8 : 2); v++) {
                            Optional<BlockHash> value = v == 0 ? NIL : Optional.of(SimApplication.block(h, "v" + v).hash());
                            send(e, signer, new Prevote(h, r, value));
                            send(e, signer, new Precommit(h, r, value));
                        }
                    }
                }
            }
        }

        @Test
        void aFloodOfJunkFromAMemberAndFreshKeysStaysUnderTheBoundAndTheHeightStillDecides() {
            TendermintEngine e = engineFor(0, app);
            e.handle(new StartHeight(1, MEMBERS));
            flood(e);

            long bound = TendermintEngine.retainedBound(CONFIG, MEMBERS.size(), e.status().round());
            assertTrue(e.retainedBytes() <= bound, e.retainedBytes() + " bytes retained, bound " + bound);
            assertTrue(e.retainedBytes() < 40L << 20, "about 34 MiB at most for four members: " + e.retainedBytes());
            // One faulty member alone cannot pull us into later rounds: f+1 = 2 members must be there.
            assertEquals(0, e.status().round());
            Map<DropReason, Long> drops = e.dropCounts();
            assertTrue(drops.getOrDefault(DropReason.NOT_MEMBER, 0L) > 0, drops::toString);
            assertTrue(drops.getOrDefault(DropReason.TOO_LARGE, 0L) > 0, drops::toString);
            assertTrue(drops.getOrDefault(DropReason.NOT_PROPOSER, 0L) > 0, drops::toString);

            // The honest members still decide round 0's proposal (member 1 proposes it).
            send(e, 1, new Proposal(1, 0, B, -1));
            send(e, 1, new Prevote(1, 0, id(B)));
            send(e, 2, new Prevote(1, 0, id(B)));
            send(e, 1, new Precommit(1, 0, id(B)));
            List<Effect> effects = e.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Precommit(1, 0, id(B)), Cluster.key(2))));
            assertTrue(effects.stream().anyMatch(x -> x instanceof Effect.Commit c && c.block().equals(B)), effects::toString);
            assertTrue(e.retainedBytes() <= bound, e.retainedBytes() + " bytes retained after the decision, bound " + bound);
        }

        @Test
        void junkFromOutsidersAloneLeavesNothingBehind() {
            TendermintEngine e = engineFor(0, app);
            e.handle(new StartHeight(1, MEMBERS));
            for (int k = 200; k < 260; k++) {
                for (long h = 1; h <= 3; h++) {
                    send(e, k, new Proposal(h, 0, big(h, "outsider" + k, 4096), -1));
                    send(e, k, new Prevote(h, 0, NIL));
                    send(e, k, new Precommit(h, 1, NIL));
                }
            }
            assertEquals(0, e.retainedMessages());
            assertEquals(0, e.retainedBytes());
        }

        @Test
        void aSecondProposalOfTheRoundIsEvidenceButNotStoredUnlessFPlusOneVoteForIt() {
            TendermintEngine e = engineFor(0, app);
            e.handle(new StartHeight(1, MEMBERS));
            send(e, 1, new Proposal(1, 0, B, -1));
            List<Effect> second = e.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Proposal(1, 0, B2, -1), Cluster.key(1))));
            assertTrue(second.stream().anyMatch(x -> x instanceof Effect.ReportEvidence));
            int before = e.retainedMessages();
            send(e, 1, new Proposal(1, 0, SimApplication.block(1, "b3"), -1));
            assertEquals(before, e.retainedMessages(), "a third block is not kept");
            // Two members (f+1) prevote B2: the re-gossiped B2 is now worth keeping, and it decides.
            send(e, 2, new Prevote(1, 0, id(B2)));
            send(e, 3, new Prevote(1, 0, id(B2)));
            send(e, 1, new Proposal(1, 0, B2, -1));
            assertEquals(before + 3, e.retainedMessages());
            send(e, 1, new Precommit(1, 0, id(B2)));
            send(e, 2, new Precommit(1, 0, id(B2)));
            List<Effect> effects = e.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Precommit(1, 0, id(B2)), Cluster.key(3))));
            assertTrue(effects.stream().anyMatch(x -> x instanceof Effect.Commit c && c.block().equals(B2)), effects::toString);
        }

        @Test
        void futureHeightsAreBufferedPerMemberOnly() {
            TendermintEngine e = engineFor(0, app);
            e.handle(new StartHeight(1, MEMBERS));
            for (int r = 0; r < 4; r++) {
                for (int v = 0; v < 10; v++) send(e, 3, new Prevote(2, r, Optional.of(SimApplication.block(2, "x" + v).hash())));
            }
            assertEquals(CONFIG.maxBufferedPerSigner(), e.retainedMessages(), "one member's quota");
            send(e, 2, new Prevote(2, 0, NIL));
            assertEquals(CONFIG.maxBufferedPerSigner() + 1, e.retainedMessages(), "the others still get in");
            send(e, 3, new Prevote(2, CONFIG.maxRoundsAhead() + 1, NIL));
            assertTrue(dropped(e, DropReason.TOO_FAR_AHEAD) > 0);
        }

        private long dropped(TendermintEngine e, DropReason reason) {
            return e.dropCounts().getOrDefault(reason, 0L);
        }
    }

    /** An application whose first judgement of every block is "not yet" (a timestamp ahead of our clock). */
    private static final class LateClockApplication implements ConsensusApplication {
        private final SimApplication inner = new SimApplication("late");
        final java.util.Set<BlockHash> asked = new java.util.HashSet<>();

        @Override
        public Optional<ProposedBlock> proposeBlock(long height) {
            return inner.proposeBlock(height);
        }

        @Override
        public boolean isValid(long height, ProposedBlock block) {
            return inner.isValid(height, block);
        }

        @Override
        public Verdict judge(long height, ProposedBlock block, java.util.Set<Address> proposers) {
            if (asked.add(block.hash())) return Verdict.NOT_YET;
            return proposers.contains(Cluster.address(1)) && isValid(height, block) ? Verdict.VALID : Verdict.INVALID;
        }
    }

    @Nested
    class Validity {
        @Test
        void aTimestampRejectionDoesNotStickForTheHeight() {
            LateClockApplication late = new LateClockApplication();
            TendermintEngine e = new TendermintEngine(CHAIN, Cluster.key(0), late, CONFIG);
            e.handle(new StartHeight(1, MEMBERS));
            List<Effect> first = e.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Proposal(1, 0, B, -1), Cluster.key(1))));
            assertEquals(List.of(new Prevote(1, 0, NIL)), sent(first), "too early: nil");
            e.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Prevote(1, 0, id(B)), Cluster.key(1))));
            e.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Prevote(1, 0, id(B)), Cluster.key(2))));
            List<Effect> later = e.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Prevote(1, 0, id(B)), Cluster.key(3))));
            assertEquals(List.of(new Precommit(1, 0, id(B))), sent(later), "asked again once a quorum prevoted it: valid now");
        }

        @Test
        void theEngineTellsTheApplicationWhoMayHaveBuiltTheBlock() {
            java.util.List<java.util.Set<Address>> seen = new java.util.ArrayList<>();
            ConsensusApplication recording = new ConsensusApplication() {
                @Override
                public Optional<ProposedBlock> proposeBlock(long height) {
                    return Optional.empty();
                }

                @Override
                public boolean isValid(long height, ProposedBlock block) {
                    return true;
                }

                @Override
                public Verdict judge(long height, ProposedBlock block, java.util.Set<Address> proposers) {
                    seen.add(proposers);
                    return Verdict.VALID;
                }
            };
            TendermintEngine e = new TendermintEngine(CHAIN, Cluster.key(0), recording, CONFIG);
            e.handle(new StartHeight(1, MEMBERS));
            e.handle(new MessageReceived(SignedMessage.sign(CHAIN, new Proposal(1, 0, B, -1), Cluster.key(1))));
            assertEquals(List.of(java.util.Set.of(Cluster.address(1))), seen, "round 0: only its proposer");
        }
    }
}
