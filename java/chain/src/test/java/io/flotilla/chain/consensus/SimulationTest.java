package io.flotilla.chain.consensus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.consensus.sim.Cluster;
import io.flotilla.chain.consensus.sim.Equivocator;
import io.flotilla.chain.consensus.sim.Replica;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Whole-network behaviour on a simulated network and clock; every run is reproducible from its seed. */
class SimulationTest {
    private static final long MINUTES_10 = 600_000;

    /** Every test here is about what users rely on whatever the engine: it runs against each known engine. */
    static java.util.stream.Stream<String> engines() {
        return KnownEngines.NAMES.stream();
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> enginesAndSizes() {
        return engines().flatMap(e -> java.util.stream.Stream.of(4, 7).map(n -> org.junit.jupiter.params.provider.Arguments.of(e, n)));
    }

    @ParameterizedTest(name = "{0}, {1} replicas")
    @MethodSource("enginesAndSizes")
    void allReplicasCommitTheSameFiftyBlocksWithValidCertificates(String engine, int n) {
        Cluster cluster = new Cluster(engine, n, 42);
        cluster.start();

        assertTrue(cluster.runUntil(() -> cluster.allCommitted(cluster.replicas(), 50), MINUTES_10),
                () -> "stalled: " + cluster.replicas());

        cluster.assertAgreementAndCertificates(cluster.replicas());
        for (Replica r : cluster.replicas()) {
            assertTrue(LongStream.rangeClosed(1, 50).allMatch(h -> r.ownDecisions().contains(h)),
                    r + " should have decided every height itself");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void fourReplicasKeepCommittingWithOneCrashedFromTheStart(String engine) {
        Cluster cluster = new Cluster(engine, 4, 7);
        cluster.replica(1).crash(); // proposer of round 0 at every height h = 4k+1

        cluster.start();

        assertTrue(cluster.runUntil(() -> cluster.allCommitted(cluster.live(), 20), MINUTES_10));
        cluster.assertAgreementAndCertificates(cluster.live());
        assertTrue(cluster.replica(0).commits().values().stream().anyMatch(c -> c.certificate().round() > 0),
                "heights whose round-0 proposer is down are decided in a later round");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void sevenReplicasKeepCommittingWithTwoCrashed(String engine) {
        Cluster cluster = new Cluster(engine, 7, 8);
        cluster.replica(2).crash();
        cluster.replica(5).crash();

        cluster.start();

        assertTrue(cluster.runUntil(() -> cluster.allCommitted(cluster.live(), 20), MINUTES_10));
        cluster.assertAgreementAndCertificates(cluster.live());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void crashingTheNextProposerMidRunDoesNotStopTheChain(String engine) {
        Cluster cluster = new Cluster(engine, 4, 9);
        cluster.start();
        assertTrue(cluster.runUntil(() -> cluster.allCommitted(cluster.replicas(), 5), MINUTES_10));

        long next = cluster.replica(0).engine().status().height();
        var proposer = cluster.membersAt(next).proposer(next, 0);
        Replica victim = cluster.replicas().stream().filter(r -> r.key().address().equals(proposer)).findFirst().orElseThrow();
        victim.crash();

        assertTrue(cluster.runUntil(() -> cluster.allCommitted(cluster.live(), 20), MINUTES_10));
        cluster.assertAgreementAndCertificates(cluster.live());
    }

    @ParameterizedTest(name = "{0}, {1} replicas")
    @MethodSource("enginesAndSizes")
    void equivocatingMembersCannotMakeHonestReplicasDecideDifferently(String engine, int n) {
        int seeds = n == 4 ? 40 : 12;
        int faulty = (n - 1) / 3;
        int evidenceSeen = 0;
        for (long seed = 1; seed <= seeds; seed++) {
            Random random = new Random(seed);
            List<Integer> order = new ArrayList<>(IntStream.range(0, n).boxed().toList());
            Collections.shuffle(order, random);
            List<Integer> honestIdx = order.subList(faulty, n);
            var sideA = new HashSet<>(honestIdx.subList(0, honestIdx.size() / 2));
            Cluster cluster = new Cluster(engine, n, seed, 5, 400, 0.0);
            order.subList(0, faulty).forEach(i -> cluster.replica(i).setBehaviour(new Equivocator(sideA)));
            List<Replica> honest = honestIdx.stream().map(cluster::replica).toList();

            cluster.start();
            boolean live = cluster.runUntil(() -> cluster.allCommitted(honest, 10), MINUTES_10);

            long s = seed;
            cluster.assertAgreementAndCertificates(honest);
            assertTrue(live, () -> "seed " + s + " stalled: " + cluster.replicas());
            for (Replica r : honest) {
                for (Equivocation e : r.evidence()) assertTrue(Equivocation.verify(e, Cluster.CHAIN_ID));
                assertTrue(r.evidence().stream().allMatch(e -> order.subList(0, faulty).stream()
                        .anyMatch(b -> Cluster.address(b).equals(e.member()))), "only the faulty are accused");
                evidenceSeen += r.evidence().size();
            }
        }
        assertTrue(evidenceSeen > 0, "equivocation is detected and reported");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void equivocationPlusLossAndAPartitionStillNeverSplitsHonestReplicas(String engine) {
        for (long seed = 100; seed < 115; seed++) {
            Cluster cluster = new Cluster(engine, 4, seed, 5, 500, 0.1);
            int faulty = (int) (seed % 4);
            List<Replica> honest = cluster.replicas().stream().filter(r -> r.index() != faulty).toList();
            cluster.replica(faulty).setBehaviour(new Equivocator(java.util.Set.of(honest.get(0).index())));
            honest.forEach(Replica::enableSync);
            cluster.start();

            cluster.runFor(10_000);
            int[] groups = new int[4];
            groups[honest.get(0).index()] = 1;
            groups[faulty] = 1; // the faulty member gets one honest replica to itself for a while
            cluster.network().partition(groups);
            cluster.runFor(20_000);
            cluster.network().heal();
            long s = seed;
            boolean live = cluster.runUntil(() -> cluster.allCommitted(honest, 15), MINUTES_10);

            cluster.assertAgreementAndCertificates(honest);
            assertTrue(live, () -> "seed " + s + " stalled: " + cluster.replicas());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aTwoTwoPartitionHaltsCommitsUntilItHeals(String engine) {
        Cluster cluster = new Cluster(engine, 4, 11);
        cluster.start();
        assertTrue(cluster.runUntil(() -> cluster.allCommitted(cluster.replicas(), 5), MINUTES_10));

        cluster.network().partition(0, 0, 1, 1);
        cluster.runFor(5_000); // a height whose votes had already crossed may still complete
        long[] frozen = tips(cluster);
        cluster.runFor(120_000);
        assertArrayEquals(frozen, tips(cluster), "neither side of the partition has a quorum");

        cluster.network().heal();
        long target = LongStream.of(frozen).max().orElseThrow() + 10;
        assertTrue(cluster.runUntil(() -> cluster.allCommitted(cluster.replicas(), target), MINUTES_10),
                () -> "did not resume: " + cluster.replicas());
        cluster.assertAgreementAndCertificates(cluster.replicas());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void commitsContinueOnALossyNetworkThanksToRegossip(String engine) {
        Cluster cluster = new Cluster(engine, 4, 12, 10, 300, 0.15);
        // A node more than one height behind needs block sync, which is outside the engine.
        cluster.replicas().forEach(Replica::enableSync);
        cluster.start();

        assertTrue(cluster.runUntil(() -> cluster.allCommitted(cluster.replicas(), 30), MINUTES_10),
                () -> "stalled: " + cluster.replicas());
        cluster.assertAgreementAndCertificates(cluster.replicas());
        for (Replica r : cluster.replicas()) {
            assertTrue(r.ownDecisions().size() >= 15, r + " decided only " + r.ownDecisions().size() + " itself");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void membersCrashingRightAfterSigningAndRestartingNeverEquivocate(String engine) {
        for (long seed = 1; seed <= 10; seed++) {
            Cluster cluster = new Cluster(engine, 4, seed);
            cluster.replicas().forEach(Replica::enableSync);
            cluster.start();
            for (int round = 0; round < 12; round++) {
                Replica victim = cluster.replica((int) ((seed + round) % 4));
                int sentBefore = victim.sent().size();
                assertTrue(cluster.runUntil(() -> victim.sent().size() > sentBefore, MINUTES_10),
                        "seed " + seed + " step " + round + ": " + cluster.replicas() + " last sent " + victim.sent().subList(Math.max(0, victim.sent().size() - 3), victim.sent().size()));
                victim.crash(); // right after it signed something
                victim.restart();
            }
            assertTrue(cluster.runUntil(() -> cluster.allCommitted(cluster.replicas(), 20), MINUTES_10), "seed " + seed);
            cluster.assertAgreementAndCertificates(cluster.replicas());
            for (Replica r : cluster.replicas()) {
                assertTrue(r.evidence().isEmpty(), "seed " + seed + ": " + r + " saw equivocation " + r.evidence());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aReplicaThatWasOfflineFollowsAgainOnceGivenTheCommittedBlocks(String engine) {
        Cluster cluster = new Cluster(engine, 4, 5);
        Replica returning = cluster.replica(3);
        returning.enableSync();
        cluster.start();
        assertTrue(cluster.runUntil(() -> cluster.allCommitted(cluster.replicas(), 3), MINUTES_10));

        returning.crash();
        assertTrue(cluster.runUntil(() -> cluster.allCommitted(cluster.live(), 20), MINUTES_10));
        assertTrue(returning.lastCommitted() < 20);

        returning.restart(); // fetches certified blocks from a peer, then joins the current height
        long start = returning.lastCommitted();
        assertTrue(cluster.runUntil(() -> cluster.allCommitted(cluster.replicas(), start + 15), MINUTES_10));

        cluster.assertAgreementAndCertificates(cluster.replicas());
        long decidedItself = LongStream.rangeClosed(start + 6, start + 15).filter(returning.ownDecisions()::contains).count();
        assertTrue(decidedItself >= 8, "it decides new heights itself from current messages, decided " + decidedItself);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void fromTheSwitchHeightOnTheNewMemberSetDecides(String engine) {
        Cluster cluster = new Cluster(engine, 6, 3);
        MemberSet before = MemberSet.of(Cluster.address(0), Cluster.address(1), Cluster.address(2), Cluster.address(3));
        MemberSet after = MemberSet.of(Cluster.address(2), Cluster.address(3), Cluster.address(4), Cluster.address(5));
        long switchHeight = 10;
        cluster.setMembership(h -> h < switchHeight ? before : after);

        cluster.start();
        assertTrue(cluster.runUntil(() -> cluster.allCommitted(cluster.replicas(), 20), MINUTES_10), () -> "stalled: " + cluster.replicas());

        cluster.assertAgreementAndCertificates(cluster.replicas()); // each height against its own set
        for (var e : cluster.replica(0).commits().entrySet()) {
            MemberSet other = e.getKey() < switchHeight ? after : before;
            assertFalse(CommitCertificate.verify(e.getValue().certificate(), other, Cluster.CHAIN_ID),
                    "height " + e.getKey() + " must not verify against the other set");
        }
        for (int leaving : new int[] {0, 1}) {
            assertTrue(cluster.replica(leaving).sent().stream().allMatch(m -> m.message().height() < switchHeight),
                    "a replaced member stops signing at the switch");
        }
        for (int joining : new int[] {4, 5}) {
            List<SignedMessage> sent = cluster.replica(joining).sent();
            assertTrue(sent.stream().allMatch(m -> m.message().height() >= switchHeight), "no signing before joining");
            assertFalse(sent.isEmpty(), "a new member signs after the switch");
        }
    }

    private static long[] tips(Cluster cluster) {
        return cluster.replicas().stream().mapToLong(Replica::lastCommitted).toArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void theSameSeedReplaysTheSameHistory(String engine) {
        assertEquals(history(engine, 21), history(engine, 21));
    }

    private static List<String> history(String engine, long seed) {
        Cluster cluster = new Cluster(engine, 4, seed, 5, 400, 0.1);
        cluster.start();
        cluster.runUntil(() -> cluster.allCommitted(cluster.replicas(), 8), MINUTES_10);
        return cluster.replica(0).commits().values().stream().map(c -> c.certificate().round() + ":" + c.block()).toList();
    }

    @ParameterizedTest(name = "{0}, {1} replicas")
    @MethodSource("enginesAndSizes")
    void prevotesWithheldToSplitLocksRoundAfterRoundNeverSplitHonestReplicas(String engine, int n) {
        int faulty = (n - 1) / 3;
        for (long seed = 1; seed <= 8; seed++) {
            Cluster cluster = new Cluster(engine, n, seed, 5, 300, 0.0);
            List<Integer> honestIdx = IntStream.range(faulty, n).boxed().toList();
            // Each round the faulty members' prevotes reach only one of two (rotating) halves of the honest members.
            List<List<Integer>> sides = List.of(honestIdx.subList(0, honestIdx.size() / 2),
                    honestIdx.subList(honestIdx.size() / 2, honestIdx.size()), honestIdx.subList(0, 1));
            for (int b = 0; b < faulty; b++) cluster.replica(b).setBehaviour(new io.flotilla.chain.consensus.sim.LockSplitter(sides));
            List<Replica> honest = honestIdx.stream().map(cluster::replica).toList();

            cluster.start();
            boolean live = cluster.runUntil(() -> cluster.allCommitted(honest, 15), MINUTES_10);

            long s = seed;
            cluster.assertAgreementAndCertificates(honest);
            assertTrue(live, () -> "seed " + s + " stalled: " + cluster.replicas());
            for (Replica r : honest) assertTrue(r.evidence().isEmpty(), "withholding is not equivocation");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void membersThatSeeTheMemberSetSwitchAtDifferentTimesStayInAgreement(String engine) {
        for (long seed = 1; seed <= 5; seed++) {
            Cluster cluster = new Cluster(engine, 6, seed, 5, 300, 0.0);
            MemberSet before = MemberSet.of(Cluster.address(0), Cluster.address(1), Cluster.address(2), Cluster.address(3));
            MemberSet after = MemberSet.of(Cluster.address(2), Cluster.address(3), Cluster.address(4), Cluster.address(5));
            long switchHeight = 10;
            cluster.setMembership(h -> h < switchHeight ? before : after);
            cluster.replicas().forEach(Replica::enableSync);
            // Members learn of the switch block at different times: one of the staying members and one joining
            // member only start the first height of the new set seconds later than the others.
            cluster.replica(2).setStartDelay(h -> h == switchHeight ? 3_000 : 0);
            cluster.replica(4).setStartDelay(h -> h == switchHeight ? 6_000 : 0);
            cluster.replica(5).crash(); // and one joins only after the switch, from the blocks of its peers
            cluster.start();
            assertTrue(cluster.runUntil(() -> cluster.allCommitted(cluster.live(), switchHeight + 2), MINUTES_10),
                    "seed " + seed + ": " + cluster.replicas());
            cluster.replica(5).restart();

            long s = seed;
            assertTrue(cluster.runUntil(() -> cluster.allCommitted(cluster.replicas(), 25), MINUTES_10),
                    () -> "seed " + s + " stalled: " + cluster.replicas());
            cluster.assertAgreementAndCertificates(cluster.replicas());
        }
    }
}
