package io.flotilla.agent.liveness;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The rules that keep a liveness report from evicting a healthy node: judge consensus, wait out the grace period,
 * abstain when this node is not a fair judge, give joining members time, and cap reports per hour.
 */
class PeerProberTest {

    private static final Duration GRACE = Duration.ofSeconds(30);

    private final FakeChain chain = new FakeChain();
    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-07T00:00:00Z"));
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    private PeerProber prober(PeerProber.Policy policy) {
        return new PeerProber(chain, chain, policy, clock, metrics, Runnable::run);
    }

    private PeerProber prober() {
        return prober(new PeerProber.Policy(GRACE, Duration.ZERO, 10, 3_000_000));
    }

    /** Probes every {@code step} for {@code total}, the chains of the fake all running here. */
    private PeerProber.Round probeFor(PeerProber prober, Duration total, Duration step) {
        PeerProber.Round last = null;
        for (Duration t = Duration.ZERO; t.compareTo(total) <= 0; t = t.plus(step)) {
            last = prober.probe(chain.desired(), chain.members.keySet());
            clock.advance(step);
        }
        return last;
    }

    @Test
    void aSilentPeerIsReportedOnceTheGracePeriodIsOverAndNotBefore() {
        chain.chain(7, 1, 2, 3, 4).allAt(100);
        chain.health.remove(4L);
        PeerProber prober = prober();
        probeFor(prober, GRACE.minusSeconds(5), Duration.ofSeconds(5));
        assertThat(chain.reports).as("still within the grace period").isEmpty();
        probeFor(prober, Duration.ofSeconds(10), Duration.ofSeconds(5));
        assertThat(chain.reports).containsExactly("7/4");
    }

    @Test
    void aPeerWhoseHeightStaysBehindWhileTheChainMovesIsReportedAndAnIdlePeerAtOurHeightIsNot() {
        chain.chain(7, 1, 2, 3, 4).allAt(100);
        PeerProber prober = prober();
        for (int i = 0; i <= 10; i++) {
            long head = 100 + i;
            chain.at(1, head, true);
            chain.at(2, head, true);
            chain.at(3, 100, true); // answers, but its consensus is wedged at 100
            // node 4 sits at our height without moving: an idle chain looks like this, and it is healthy
            chain.at(4, head, true);
            prober.probe(chain.desired(), Set.of(7L));
            clock.advance(Duration.ofSeconds(5));
        }
        assertThat(chain.reports).containsExactly("7/3");
    }

    @Test
    void aNodeThatReachesFewerThanHalfItsPeersReportsNobodyWhateverTheGracePeriod() {
        chain.chain(7, 1, 2, 3, 4).allAt(100);
        chain.health.remove(3L);
        chain.health.remove(4L); // two of three peers unreachable: more likely our network than theirs
        PeerProber.Round round = probeFor(prober(), GRACE.multipliedBy(4), Duration.ofSeconds(5));
        assertThat(chain.reports).isEmpty();
        assertThat(round.abstention()).isEqualTo("this node reaches 1 of 3 peers");
        assertThat(metrics.counter("flotilla.reports.withheld", "reason", "isolated").count()).isPositive();
        // Its network heals, one peer really is down: that one is reported.
        chain.at(3, 100, true);
        probeFor(prober(), GRACE.plusSeconds(5), Duration.ofSeconds(5));
        assertThat(chain.reports).containsExactly("7/4");
    }

    @Test
    void whileItsOwnSubnodeIsNotFinalizingThisNodeJudgesNobodyAndTheGraceClockStartsAgainAfter() {
        chain.chain(7, 1, 2, 3, 4).allAt(100);
        chain.health.remove(4L);
        chain.at(FakeChain.SELF, 100, false);
        PeerProber prober = prober();
        probeFor(prober, GRACE.multipliedBy(3), Duration.ofSeconds(5));
        assertThat(chain.reports).isEmpty();
        chain.at(FakeChain.SELF, 100, true);
        probeFor(prober, GRACE.minusSeconds(5), Duration.ofSeconds(5));
        assertThat(chain.reports).as("the grace period counts from when this node could judge").isEmpty();
        probeFor(prober, Duration.ofSeconds(10), Duration.ofSeconds(5));
        assertThat(chain.reports).containsExactly("7/4");
    }

    @Test
    void aMemberThatJustJoinedIsNotJudgedDuringTheJoinAllowance() {
        chain.chain(7, 1, 2, 3, 4).allAt(100);
        chain.health.remove(4L); // starting its subnode, catching up
        PeerProber prober = prober(new PeerProber.Policy(GRACE, Duration.ofMinutes(2), 10, 3_000_000));
        probeFor(prober, Duration.ofMinutes(2).plus(GRACE).minusSeconds(5), Duration.ofSeconds(5));
        assertThat(chain.reports).isEmpty();
        probeFor(prober, Duration.ofSeconds(10), Duration.ofSeconds(5));
        assertThat(chain.reports).containsExactly("7/4");
    }

    @Test
    void withTheContractsUnreadableNobodyIsJudged() {
        chain.chain(7, 1, 2, 3, 4).allAt(100);
        chain.health.remove(4L);
        chain.managerDown = true;
        PeerProber.Round round = probeFor(prober(), GRACE.multipliedBy(2), Duration.ofSeconds(5));
        assertThat(chain.reports).isEmpty();
        assertThat(round.abstention()).startsWith("manager RPC: ");
    }

    @Test
    void reportsAreCappedPerRollingHourByCount() {
        // Twelve chains, each with one dead peer: the cap of 10 reports an hour holds two back.
        for (long c = 1; c <= 12; c++) {
            chain.chain(c, 1, 2, 3, 10 + c);
        }
        chain.allAt(100);
        for (long c = 1; c <= 12; c++) {
            chain.health.remove(10 + c);
        }
        PeerProber prober = prober();
        probeFor(prober, GRACE.plusSeconds(5), Duration.ofSeconds(5));
        assertThat(chain.reports).hasSize(10);
        assertThat(metrics.counter("flotilla.reports.withheld", "reason", "cap").count()).isPositive();
        probeFor(prober, Duration.ofMinutes(50), Duration.ofMinutes(1));
        assertThat(chain.reports).as("within the hour").hasSize(10);
        probeFor(prober, Duration.ofMinutes(15), Duration.ofMinutes(1));
        Set<String> reported = chain.reports.stream().collect(Collectors.toSet());
        assertThat(reported).as("after the hour, the two held back are reported").hasSize(12);
    }

    @Test
    void reportsAreCappedPerRollingHourByTheGasTheirReceiptsShow() {
        for (long c = 1; c <= 6; c++) {
            chain.chain(c, 1, 2, 3, 10 + c);
        }
        chain.allAt(100);
        for (long c = 1; c <= 6; c++) {
            chain.health.remove(10 + c);
        }
        chain.gasPerReport = 900_000; // an expensive report: 3 M gas an hour pays for three
        probeFor(prober(), GRACE.plus(Duration.ofMinutes(30)), Duration.ofSeconds(5));
        assertThat(chain.reports).hasSize(3);
    }
}
