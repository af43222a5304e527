package io.flotilla.agent.reconcile;

import io.flotilla.agent.liveness.ChainMembers;
import io.flotilla.agent.liveness.HealthProbe;
import io.flotilla.agent.liveness.SubnodeRpc;
import io.flotilla.agent.plan.DesiredSubnode;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.Member;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides whether a running subnode may be restarted for a change that needs a new process (a new image, new limits),
 * so that a chain never loses two members at once: every other member must be finalizing (its JSON-RPC says so, or
 * its head is fresh), and members take turns in the order of their node ids, {@code stagger} apart, counted from when
 * this agent first saw the change (agents of one chain see the same change within a few seconds, so the stagger
 * keeps them from all passing the check in the same instant). A restart of a container that is not running is never
 * held back: it serves nobody.
 */
public final class RestartGate {

    private final ChainMembers client;
    private final HealthProbe rpc;
    private final Clock clock;
    private final Duration stagger;
    private final Map<String, Instant> firstSeen = new ConcurrentHashMap<>();

    public RestartGate(ManagerClient client, SubnodeRpc rpc, Clock clock, Duration stagger) {
        this(ChainMembers.of(client), rpc::health, clock, stagger);
    }

    public RestartGate(ChainMembers client, HealthProbe rpc, Clock clock, Duration stagger) {
        this.client = client;
        this.rpc = rpc;
        this.clock = clock;
        this.stagger = stagger;
    }

    /** Empty when {@code subnode}'s running container may be replaced now, else why not. */
    public Optional<String> refusal(DesiredSubnode subnode) {
        return refusal(subnode, false);
    }

    /**
     * As {@link #refusal(DesiredSubnode)}; for a move to a new pinned image ({@code imageChange}) the members before
     * this one in turn order must also run the new image (as their {@code flotilla_health} says) and be finalizing on
     * it. So the rollout goes one member at a time in node id order, and a member that rolled back (it runs its
     * previous image again) holds every later member on the old one: a failed rollout does not spread. A member whose
     * subnode does not say its image is taken to have had its turn once the stagger has passed.
     */
    public Optional<String> refusal(DesiredSubnode subnode, boolean imageChange) {
        Instant now = clock.instant();
        Instant seen = firstSeen.computeIfAbsent(subnode.chainId() + "/" + subnode.processHash(), k -> now);
        firstSeen.keySet().removeIf(k -> k.startsWith(subnode.chainId() + "/") && !k.endsWith("/" + subnode.processHash()));
        List<Member> members = client.membersOf(subnode.chainId());
        List<Long> order = members.stream().map(Member::nodeId).sorted().toList();
        int rank = Math.max(0, order.indexOf(subnode.nodeId()));
        Instant turn = seen.plus(stagger.multipliedBy(rank));
        if (now.isBefore(turn)) {
            return Optional.of("waiting for its turn (member " + (rank + 1) + " of " + order.size() + ", at " + turn + ")");
        }
        for (Member m : members) {
            if (m.nodeId() == subnode.nodeId()) {
                continue;
            }
            Optional<SubnodeRpc.Health> health = rpc.health(m.ip(), m.firstPort() + io.flotilla.subnode.config.PortLayout.RPC_HTTP, now);
            if (health.isEmpty() || !health.get().finalizing()) {
                return Optional.of("member " + m.nodeId() + " is not finalizing" + (health.isEmpty() ? " (no answer)" : ""));
            }
            String image = health.get().image();
            if (imageChange && order.indexOf(m.nodeId()) < rank && image != null && !image.equals(subnode.imageId())) {
                return Optional.of("member " + m.nodeId() + " goes first and runs " + image + ", not " + subnode.imageVersion()
                        + " (" + subnode.imageId() + ") yet; if it rolled back, the rollout of this chain is held");
            }
        }
        return Optional.empty();
    }
}
