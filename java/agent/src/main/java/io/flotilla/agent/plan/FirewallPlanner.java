package io.flotilla.agent.plan;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Plans the firewall part of a pass, purely: desired subnodes against the chains installed in the kernel. Its
 * actions wrap the {@link Planner}'s: rules are installed before any container step (a chain whose rules fail to
 * install gets no container this pass), and removed after the container steps, once no container of the chain is
 * left, so a leaving subnode keeps its rules while it serves.
 */
public final class FirewallPlanner {

    /**
     * @param desired what the contracts say
     * @param installed what the kernel holds
     * @param chainsWithContainers chains that have a container on this node at the start of the pass (one removed
     *     in this pass loses its rules in the next)
     * @param containerPlan the {@link Planner}'s actions for the pass
     * @return the whole plan: firewall installs, the container plan, firewall removals
     */
    public List<Action> plan(DesiredState desired, FirewallState installed, Set<Long> chainsWithContainers, List<Action> containerPlan) {
        List<Action> before = new ArrayList<>();
        Set<Integer> wanted = new HashSet<>();
        for (DesiredSubnode s : desired.subnodes()) {
            if (s.isolation() == null) {
                continue;
            }
            wanted.add(s.slot());
            FirewallState.Installed current = installed.slots().get(s.slot());
            boolean upToDate = current != null && current.chainId() == s.chainId()
                    && current.fingerprint().equals(s.isolation().firewallFingerprint())
                    && current.uids().equals(Set.of(s.isolation().uid()));
            if (!upToDate) {
                Set<Integer> stale = new HashSet<>(current == null ? Set.of() : current.uids());
                stale.remove(s.isolation().uid());
                before.add(new Action.ApplyFirewall(s.chainId(), s, Set.copyOf(stale)));
            }
        }
        List<Action> after = new ArrayList<>();
        for (Map.Entry<Integer, FirewallState.Installed> e : installed.slots().entrySet()) {
            long chainId = e.getValue().chainId();
            if (wanted.contains(e.getKey()) || chainsWithContainers.contains(chainId)) {
                continue;
            }
            after.add(new Action.RemoveFirewall(chainId, e.getKey(), e.getValue().uids()));
        }
        List<Action> all = new ArrayList<>(before);
        all.addAll(containerPlan);
        all.addAll(after);
        return List.copyOf(all);
    }
}
