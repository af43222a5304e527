package io.flotilla.agent.plan;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What the manager contracts say this node should run.
 *
 * @param subnodes one per chain the node is a member of (including chains it joined by rotation)
 * @param leavingUntil chains this node was rotated out of, with the time until which their subnodes keep serving
 */
public record DesiredState(long nodeId, List<DesiredSubnode> subnodes, Map<Long, Instant> leavingUntil) {

    public DesiredState {
        subnodes = List.copyOf(subnodes);
        leavingUntil = Map.copyOf(leavingUntil);
    }
}
