package io.flotilla.agent.plan;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the manager contracts say this node should run.
 *
 * @param subnodes one per chain the node is a member of (including chains it joined by rotation)
 * @param leavingUntil chains this node was rotated out of, with the time until which their subnodes keep serving
 * @param strayChains chains that containers labelled with this node's id claim but the contracts do not know: they are
 *     reported and left alone (someone else's, or a restored backup), never a reason to stop
 */
public record DesiredState(long nodeId, List<DesiredSubnode> subnodes, Map<Long, Instant> leavingUntil, Set<Long> strayChains) {

    public DesiredState {
        subnodes = List.copyOf(subnodes);
        leavingUntil = Map.copyOf(leavingUntil);
        strayChains = Set.copyOf(strayChains);
    }

    public DesiredState(long nodeId, List<DesiredSubnode> subnodes, Map<Long, Instant> leavingUntil) {
        this(nodeId, subnodes, leavingUntil, Set.of());
    }
}
