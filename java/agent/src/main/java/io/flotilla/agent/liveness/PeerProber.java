package io.flotilla.agent.liveness;

import io.flotilla.agent.plan.DesiredState;
import io.flotilla.agent.plan.DesiredSubnode;
import io.flotilla.agent.reconcile.Ports;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.ManagerException;
import io.flotilla.manager.Member;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes the JSON-RPC port of the other members of this node's chains. A peer that stays unreachable for the
 * threshold is reported down on chain, once per peer per threshold window; 2f+1 such reports rotate it out.
 */
public final class PeerProber {

    private static final Logger LOG = LoggerFactory.getLogger(PeerProber.class);

    private record Peer(long chainId, long nodeId) {}

    private final ManagerClient client;
    private final HttpClient http;
    private final Duration threshold;
    private final Clock clock;
    private final Map<Peer, Instant> downSince = new HashMap<>();
    private final Map<Peer, Instant> reportedAt = new HashMap<>();

    public PeerProber(ManagerClient client, Duration threshold, Clock clock) {
        this.client = client;
        this.threshold = threshold;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    /**
     * Probes the peers of the chains whose own subnode runs here ({@code runningChains}): a node that cannot run
     * a chain itself has no standing to judge its peers. Returns the peers reported in this round.
     */
    public synchronized List<Long> probe(DesiredState desired, Set<Long> runningChains) {
        if (desired == null) {
            return List.of();
        }
        Instant now = clock.instant();
        Set<Peer> seen = new HashSet<>();
        List<Long> reported = new java.util.ArrayList<>();
        for (DesiredSubnode subnode : desired.subnodes()) {
            if (!runningChains.contains(subnode.chainId())) {
                continue;
            }
            List<Member> members;
            try {
                members = client.membersOf(subnode.chainId());
            } catch (ManagerException e) {
                return reported; // the manager is down: judge nobody
            }
            for (Member m : members) {
                if (m.nodeId() == desired.nodeId()) {
                    continue;
                }
                Peer peer = new Peer(subnode.chainId(), m.nodeId());
                seen.add(peer);
                if (reachable(m)) {
                    downSince.remove(peer);
                    continue;
                }
                Instant since = downSince.computeIfAbsent(peer, p -> now);
                Instant last = reportedAt.get(peer);
                if (!now.isBefore(since.plus(threshold)) && (last == null || !now.isBefore(last.plus(threshold)))) {
                    reportedAt.put(peer, now);
                    try {
                        client.reportDown(peer.chainId(), peer.nodeId());
                        reported.add(peer.nodeId());
                        LOG.warn("chain {}: reported node {} down (unreachable since {})", peer.chainId(), peer.nodeId(), since);
                    } catch (ManagerException e) {
                        LOG.info("chain {}: report of node {} not accepted: {}", peer.chainId(), peer.nodeId(), e.getMessage());
                    }
                }
            }
        }
        downSince.keySet().retainAll(seen);
        reportedAt.keySet().retainAll(seen);
        return reported;
    }

    private boolean reachable(Member m) {
        URI uri = URI.create("http://" + m.ip() + ":" + (m.firstPort() + Ports.RPC_HTTP) + "/");
        try {
            http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding());
            return true; // any HTTP answer means the subnode is up
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }
}
