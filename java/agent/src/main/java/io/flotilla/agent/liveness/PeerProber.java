package io.flotilla.agent.liveness;

import io.flotilla.agent.plan.DesiredState;
import io.flotilla.agent.plan.DesiredSubnode;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.ManagerException;
import io.flotilla.manager.Member;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Judges the other members of this node's chains by their consensus, not by their HTTP listener: a peer is healthy
 * when its height moves, or when it is at (or within {@link #LAG_TOLERANCE} blocks of) this node's own head, which
 * covers an idle chain whose members all sit at the same height. A peer that does not answer, or answers with a
 * height that stays behind while the chain moves on (a wedged consensus), is unhealthy. It is reported down on chain
 * only after it has been unhealthy for the whole grace period (longer than the worst restart of a healthy subnode,
 * docs/agent.md), and only while this node is a fair judge: its own subnode is finalizing and it reaches most of its
 * peers (a node with broken networking would otherwise report everyone). Reports are capped per hour, by count and
 * by gas, and are sent by {@code reporter} so that waiting for a receipt never holds up probing or reconciling.
 */
public final class PeerProber {

    private static final Logger LOG = LoggerFactory.getLogger(PeerProber.class);
    /** A peer this many blocks behind this node's head, and not moving, is behind. */
    public static final long LAG_TOLERANCE = 3;
    /** Gas assumed for a report whose receipt has not come back yet. */
    static final long ASSUMED_REPORT_GAS = 300_000;

    /**
     * @param grace how long a peer must stay unhealthy before it is reported
     * @param joinGrace how long a member is not judged after this prober first sees it in the chain: a member that just
     *     joined by rotation starts its subnode and catches up from an empty volume first
     * @param maxReportsPerHour reports sent in any rolling hour at most
     * @param maxGasPerHour gas those reports may use in any rolling hour
     */
    public record Policy(Duration grace, Duration joinGrace, int maxReportsPerHour, long maxGasPerHour) {

        /** The default join allowance: long enough for a joining subnode to start and catch up on a small share. */
        public static final Duration JOIN_GRACE = Duration.ofMinutes(2);

        public static Policy withGrace(Duration grace) {
            return new Policy(grace, JOIN_GRACE, 10, 3_000_000);
        }
    }

    /** What one round saw; {@code queued} are the peers handed to the reporter. */
    public record Round(int probed, int unreachable, Set<Long> chainsJudged, List<Long> queued, String abstention) {}

    private record Peer(long chainId, long nodeId) {}

    private static final class PeerState {
        final Instant firstSeen;
        long lastHead = -1;
        Instant unhealthySince;
        Instant reportedAt;

        PeerState(Instant firstSeen) {
            this.firstSeen = firstSeen;
        }
    }

    private record Report(Instant at, long gas) {}

    private final ChainMembers client;
    private final HealthProbe rpc;
    private final Policy policy;
    private final Clock clock;
    private final MeterRegistry metrics;
    private final Executor reporter;
    private final Map<Peer, PeerState> peers = new HashMap<>();
    private final Deque<Report> reports = new ArrayDeque<>();
    private long expectedGas = ASSUMED_REPORT_GAS;

    public PeerProber(ManagerClient client, SubnodeRpc rpc, Policy policy, Clock clock, MeterRegistry metrics, Executor reporter) {
        this(ChainMembers.of(client), rpc::health, policy, clock, metrics, reporter);
    }

    public PeerProber(ChainMembers client, HealthProbe rpc, Policy policy, Clock clock, MeterRegistry metrics, Executor reporter) {
        this.client = client;
        this.rpc = rpc;
        this.policy = policy;
        this.clock = clock;
        this.metrics = metrics;
        this.reporter = reporter;
    }

    /**
     * Probes the peers of the chains whose own subnode runs here ({@code runningChains}): a node that cannot run a
     * chain itself has no standing to judge its peers.
     */
    public synchronized Round probe(DesiredState desired, Set<Long> runningChains) {
        if (desired == null) {
            return new Round(0, 0, Set.of(), List.of(), "no desired state yet");
        }
        Instant now = clock.instant();
        Set<Peer> seen = new HashSet<>();
        Map<Peer, Member> unhealthy = new HashMap<>();
        Set<Long> judged = new HashSet<>();
        int probed = 0;
        int unreachable = 0;
        for (DesiredSubnode subnode : desired.subnodes()) {
            if (!runningChains.contains(subnode.chainId())) {
                continue;
            }
            List<Member> members;
            try {
                members = client.membersOf(subnode.chainId());
            } catch (ManagerException e) {
                metrics.counter("flotilla.rpc.errors", "endpoint", "manager").increment();
                return new Round(probed, unreachable, judged, List.of(), "manager RPC: " + e.getMessage()); // judge nobody
            }
            Optional<Member> self = members.stream().filter(m -> m.nodeId() == desired.nodeId()).findFirst();
            Optional<SubnodeRpc.Health> own = self.flatMap(m -> rpc.health(m.ip(), m.firstPort() + io.flotilla.subnode.config.PortLayout.RPC_HTTP, now));
            boolean ownFinalizing = own.isPresent() && own.get().finalizing();
            metrics.counter("flotilla.probes", "target", "self", "result", ownFinalizing ? "finalizing" : "not-finalizing").increment();
            for (Member m : members) {
                if (m.nodeId() == desired.nodeId()) {
                    continue;
                }
                Peer peer = new Peer(subnode.chainId(), m.nodeId());
                seen.add(peer);
                PeerState state = peers.computeIfAbsent(peer, p -> new PeerState(now));
                boolean settled = !now.isBefore(state.firstSeen.plus(policy.joinGrace()));
                Optional<SubnodeRpc.Health> health = rpc.health(m.ip(), m.firstPort() + io.flotilla.subnode.config.PortLayout.RPC_HTTP, now);
                probed++;
                boolean healthy;
                String result;
                if (health.isEmpty()) {
                    unreachable++;
                    healthy = false;
                    result = "unreachable";
                } else {
                    long head = health.get().head();
                    boolean moved = state.lastHead >= 0 && head > state.lastHead;
                    boolean level = own.isPresent() && head + LAG_TOLERANCE >= own.get().head();
                    healthy = moved || level;
                    result = healthy ? "healthy" : "behind";
                    state.lastHead = head;
                }
                metrics.counter("flotilla.probes", "target", "peer", "result", result).increment();
                if (healthy || !ownFinalizing || !settled) {
                    // While this node's own subnode is not finalizing it cannot judge, and a member that just joined gets
                    // time to start and catch up: the clock starts when both are over.
                    state.unhealthySince = null;
                } else {
                    if (state.unhealthySince == null) {
                        state.unhealthySince = now;
                    }
                    unhealthy.put(peer, m);
                }
            }
            if (ownFinalizing) {
                judged.add(subnode.chainId());
            }
        }
        peers.keySet().retainAll(seen);
        if (probed > 0 && unreachable * 2 > probed) {
            // This node reaches fewer than half of its peers: the fault is more likely its own.
            metrics.counter("flotilla.reports.withheld", "reason", "isolated").increment();
            return new Round(probed, unreachable, judged, List.of(), "this node reaches " + (probed - unreachable) + " of " + probed + " peers");
        }
        List<Long> queued = new ArrayList<>();
        // Under the cap, a peer never reported goes before one reported again (its report may not have been enough).
        List<Map.Entry<Peer, Member>> order = new ArrayList<>(unhealthy.entrySet());
        order.sort(java.util.Comparator.comparing((Map.Entry<Peer, Member> e) -> peers.get(e.getKey()).reportedAt,
                java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder())));
        for (Map.Entry<Peer, Member> e : order) {
            Peer peer = e.getKey();
            PeerState state = peers.get(peer);
            boolean graceOver = !now.isBefore(state.unhealthySince.plus(policy.grace()));
            boolean notRecent = state.reportedAt == null || !now.isBefore(state.reportedAt.plus(policy.grace()));
            if (!graceOver || !notRecent) {
                continue;
            }
            if (!withinCaps(now)) {
                metrics.counter("flotilla.reports.withheld", "reason", "cap").increment();
                LOG.warn("chain {}: node {} unhealthy since {} but the report cap ({} reports, {} gas per hour) is reached",
                        peer.chainId(), peer.nodeId(), state.unhealthySince, policy.maxReportsPerHour(), policy.maxGasPerHour());
                continue;
            }
            state.reportedAt = now;
            Report slot = new Report(now, expectedGas);
            reports.addLast(slot);
            queued.add(peer.nodeId());
            Instant since = state.unhealthySince;
            reporter.execute(() -> send(peer, since, slot));
        }
        return new Round(probed, unreachable, judged, queued, null);
    }

    private boolean withinCaps(Instant now) {
        while (!reports.isEmpty() && reports.peekFirst().at().isBefore(now.minus(Duration.ofHours(1)))) {
            reports.removeFirst();
        }
        long gas = reports.stream().mapToLong(Report::gas).sum();
        // The next report is assumed to cost as much as the dearest seen: the cap is never passed by a report.
        return reports.size() < policy.maxReportsPerHour() && gas + expectedGas <= policy.maxGasPerHour();
    }

    private void send(Peer peer, Instant since, Report slot) {
        try {
            long gas = client.reportDown(peer.chainId(), peer.nodeId());
            synchronized (this) {
                expectedGas = Math.max(expectedGas, gas);
                if (reports.remove(slot)) {
                    reports.addLast(new Report(slot.at(), gas));
                }
            }
            metrics.counter("flotilla.reports", "outcome", "sent").increment();
            metrics.counter("flotilla.reports.gas").increment(gas);
            LOG.warn("chain {}: reported node {} down (unhealthy since {}, {} gas)", peer.chainId(), peer.nodeId(), since, gas);
        } catch (RuntimeException e) {
            metrics.counter("flotilla.reports", "outcome", "refused").increment();
            LOG.info("chain {}: report of node {} not accepted: {}", peer.chainId(), peer.nodeId(), e.getMessage());
        }
    }
}
