package io.flotilla.agent.plan;

import java.util.Map;
import java.util.Set;

/**
 * The agent's firewall as read back from the kernel: one chain per slot, labelled with the chain id and the
 * fingerprint of the rules it holds, and the uids the subnode map sends to it.
 */
public record FirewallState(Map<Integer, Installed> slots) {

    public FirewallState {
        slots = Map.copyOf(slots);
    }

    /**
     * @param chainId the chain the rules were made for (-1 when the label is missing)
     * @param fingerprint {@link SubnodeIsolation#firewallFingerprint()} of the rules ("" when missing)
     * @param uids uids the subnode map jumps to this slot's chain
     */
    public record Installed(long chainId, String fingerprint, Set<Integer> uids) {
        public Installed {
            uids = Set.copyOf(uids);
        }
    }

    public static final FirewallState EMPTY = new FirewallState(Map.of());
}
