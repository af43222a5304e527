package io.flotilla.agent.liveness;

import io.flotilla.agent.plan.DesiredState;
import io.flotilla.agent.plan.DesiredSubnode;
import io.flotilla.agent.runtime.ResourceLimits;
import io.flotilla.manager.ManagerException;
import io.flotilla.manager.Member;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.LongStream;

/**
 * Chains whose members are node ids on 127.0.1.&lt;id&gt;, each with a health answer the test sets, for the liveness
 * rules' tests. Node {@link #SELF} is this node. Records the reports filed, each costing {@link #gasPerReport}.
 */
final class FakeChain implements ChainMembers, HealthProbe {

    static final long SELF = 1;

    final Map<Long, List<Member>> members = new HashMap<>();
    /** Health by node id; absent = does not answer. */
    final Map<Long, SubnodeRpc.Health> health = new HashMap<>();
    final List<String> reports = new ArrayList<>();
    long gasPerReport = 250_000;
    boolean managerDown;

    /** A chain of the given node ids, {@link #SELF} among them. */
    FakeChain chain(long chainId, long... nodeIds) {
        members.put(chainId, LongStream.of(nodeIds)
                .mapToObj(id -> new Member(id, "0x" + id, "127.0.1." + id, 20000, 0, 20000, "0x", Member.NO_KEY)).toList());
        return this;
    }

    /** Every node of every chain answers: at {@code head}, finalizing. */
    FakeChain allAt(long head) {
        members.values().stream().flatMap(List::stream)
                .forEach(m -> health.put(m.nodeId(), new SubnodeRpc.Health(head, Instant.EPOCH, true, 3)));
        return this;
    }

    void at(long nodeId, long head, boolean finalizing) {
        health.put(nodeId, new SubnodeRpc.Health(head, Instant.EPOCH, finalizing, 3));
    }

    DesiredState desired() {
        List<DesiredSubnode> subnodes = members.keySet().stream().sorted()
                .map(chain -> new DesiredSubnode("0a0b0c0d", chain, "c" + chain, SELF, 0, "1", "sha256:00",
                        new ResourceLimits(1000, 100_000, 1, 64L << 20, 64), "{}", "c", "p"))
                .toList();
        return new DesiredState(SELF, subnodes, Map.of());
    }

    @Override
    public List<Member> membersOf(long chainId) {
        if (managerDown) {
            throw new ManagerException("connection refused", null);
        }
        return members.getOrDefault(chainId, List.of());
    }

    @Override
    public long reportDown(long chainId, long nodeId) {
        reports.add(chainId + "/" + nodeId);
        return gasPerReport;
    }

    @Override
    public Optional<SubnodeRpc.Health> health(String ip, int rpcPort, Instant now) {
        long id = Long.parseLong(ip.substring(ip.lastIndexOf('.') + 1));
        return Optional.ofNullable(health.get(id));
    }
}
