package io.flotilla.agent.reconcile;

import io.flotilla.agent.plan.DesiredState;
import io.flotilla.agent.plan.DesiredSubnode;
import io.flotilla.manager.ChainInfo;
import io.flotilla.agent.isolation.SubnodeUids;
import io.flotilla.agent.plan.SubnodeIsolation;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.Member;
import io.flotilla.manager.NodeChain;
import io.flotilla.manager.NodeInfo;
import io.flotilla.manager.Rotation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Reads this node's desired state from the manager contracts. Throws ManagerException when the RPC fails. */
public final class DesiredStateReader {

    private final ManagerClient client;
    private final LimitsCalculator limits;
    private final int uidBase;

    /** @param uidBase first subnode uid of this node (the subnode of slot s runs as base + s) */
    public DesiredStateReader(ManagerClient client, LimitsCalculator limits, int uidBase) {
        this.client = client;
        this.limits = limits;
        this.uidBase = uidBase;
    }

    /**
     * Where a rollout is held on this node (docs/agent.md, "Image rollout"): for a chain and this node's first port of
     * it, the previous image this node runs instead of the pinned one, if any.
     */
    @FunctionalInterface
    public interface Holds {
        java.util.Optional<io.flotilla.agent.plan.Rollout.Hold> of(ChainInfo chain, int firstPort);

        Holds NONE = (chain, firstPort) -> java.util.Optional.empty();
    }

    /**
     * @param node this node
     * @param runningChains chains that have a container on this node now (to find the ones it is leaving)
     */
    public DesiredState read(NodeInfo node, Collection<Long> runningChains, Instant now) {
        return read(node, runningChains, now, Holds.NONE);
    }

    /** As {@link #read(NodeInfo, Collection, Instant)}; a chain {@code holds} names runs its previous image here. */
    public DesiredState read(NodeInfo node, Collection<Long> runningChains, Instant now, Holds holds) {
        List<DesiredSubnode> subnodes = new ArrayList<>();
        List<NodeChain> placements = client.chainsOfNode(node.id());
        for (NodeChain placement : placements) {
            ChainInfo pinned = client.chain(placement.chainId());
            var hold = holds.of(pinned, io.flotilla.subnode.config.PortLayout.first(node.basePort(), placement.slot()));
            // A held rollout: this node renders and runs the chain with its previous image, labelled with the failed one.
            ChainInfo chain = hold.map(h -> new ChainInfo(pinned.id(), pinned.name(), pinned.owner(), pinned.typeName(), pinned.unitsPerNode(),
                    pinned.status(), pinned.createdAt(), pinned.expiresAt(), pinned.consensus(), h.previous().version(), h.previous().id(),
                    pinned.members())).orElse(pinned);
            List<Member> members = client.membersOf(chain.id());
            SubnodeConfigRenderer.Rendered config = SubnodeConfigRenderer.render(chain, node.id(), node.ip(), placement.slot(),
                    node.basePort(), members);
            // The member set is applied live, except this node's own signing key: a new one needs a new process.
            String self = members.stream().filter(m -> m.nodeId() == node.id()).map(SubnodeConfigRenderer::signer).findFirst().orElse("");
            var subnodeLimits = limits.forUnits(placement.unitsPerNode());
            SubnodeIsolation isolation = isolation(node, placement, members);
            subnodes.add(new DesiredSubnode(client.addressBook().networkId(), chain.id(), chain.name(), node.id(), placement.slot(),
                    chain.imageVersion(), chain.imageDigest(), subnodeLimits, config.json(), config.hash(),
                    // Not the limits: a resize changes them in place (Action.UpdateResources), no new process.
                    SubnodeConfigRenderer.hash(config.processHash() + " " + chain.imageDigest() + " uid=" + isolation.uid() + " " + self),
                    isolation, hold.map(h -> h.failed().id()).orElse(null)));
        }
        Set<Long> placed = placements.stream().map(NodeChain::chainId).collect(Collectors.toSet());
        Map<Long, Instant> leavingUntil = new HashMap<>();
        // finishAt is in chain time. The latest block's timestamp can run ahead of this agent's clock (a burst of
        // blocks) or lag behind it (no block for a while), so chain time is taken as the later of the two.
        Instant latestBlock = runningChains.stream().anyMatch(c -> !placed.contains(c)) ? client.latestBlockTime() : now;
        Instant chainNow = latestBlock.isAfter(now) ? latestBlock : now;
        Set<Long> stray = new java.util.HashSet<>();
        long known = runningChains.stream().anyMatch(c -> !placed.contains(c)) ? client.chainCount() : 0;
        for (long chainId : runningChains) {
            if (placed.contains(chainId)) {
                continue;
            }
            if (chainId < 1 || chainId > known) {
                stray.add(chainId); // chain ids run from 1 to chainCount: the contracts never heard of this one
                continue;
            }
            if (client.chain(chainId).status() != ChainInfo.ChainStatus.ACTIVE) {
                continue; // a removed chain stops at once
            }
            client.rotationsOf(chainId).stream()
                    .filter(r -> r.leavingNode() == node.id())
                    .map(Rotation::finishAt)
                    .max(Instant::compareTo)
                    .filter(finishAt -> finishAt.isAfter(chainNow))
                    .ifPresent(finishAt -> leavingUntil.put(chainId, now.plus(java.time.Duration.between(chainNow, finishAt))));
        }
        return new DesiredState(node.id(), subnodes, leavingUntil, stray);
    }

    /**
     * The subnode's uid, the endpoints it may reach (every member's consensus and catch-up port; a member whose
     * registered IP is not an IPv4 address cannot be reached anyway and is left out) and its volume size.
     */
    private SubnodeIsolation isolation(NodeInfo node, NodeChain placement, List<Member> members) {
        List<SubnodeIsolation.Endpoint> peers = new ArrayList<>();
        for (Member m : members) {
            if (m.ip() != null && m.ip().matches(IPV4) && m.firstPort() > 0 && m.firstPort() + io.flotilla.subnode.config.PortLayout.CATCH_UP <= 65535) {
                peers.add(new SubnodeIsolation.Endpoint(m.ip(), m.firstPort() + io.flotilla.subnode.config.PortLayout.CONSENSUS));
                peers.add(new SubnodeIsolation.Endpoint(m.ip(), m.firstPort() + io.flotilla.subnode.config.PortLayout.CATCH_UP));
            }
        }
        return new SubnodeIsolation(SubnodeUids.of(uidBase, placement.slot()), node.ip(), io.flotilla.subnode.config.PortLayout.first(node.basePort(), placement.slot()),
                peers, limits.diskBytesForUnits(placement.unitsPerNode()));
    }

    private static final String IPV4 = "(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}";
}
