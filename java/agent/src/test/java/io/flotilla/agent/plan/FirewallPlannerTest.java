package io.flotilla.agent.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.runtime.ResourceLimits;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The firewall half of a pass: rules before a chain's containers, removals once its container is gone. */
class FirewallPlannerTest {

    private static final ResourceLimits LIMITS = new ResourceLimits(50_000, 100_000, 64, 256L << 20, 256);
    private final FirewallPlanner planner = new FirewallPlanner();

    private static DesiredSubnode subnode(long chainId, int slot, String peerIp) {
        SubnodeIsolation isolation = new SubnodeIsolation(200_000 + slot, "10.0.0.1", 20_000 + 16 * slot,
                List.of(new SubnodeIsolation.Endpoint(peerIp, 20_000), new SubnodeIsolation.Endpoint(peerIp, 20_001)), 64L << 20);
        return new DesiredSubnode("0a0b0c0d", chainId, "chain-" + chainId, 1, slot, "1", "sha256:aa", LIMITS, "{}", "c", "p", isolation);
    }

    private static DesiredState desired(DesiredSubnode... subnodes) {
        return new DesiredState(1, List.of(subnodes), Map.of());
    }

    @Test
    void aNewSubnodeGetsItsRulesBeforeAnyOfItsContainerSteps() {
        DesiredSubnode s = subnode(7, 3, "10.0.0.2");
        List<Action> containers = List.of(new Action.CreateVolume(7, s), new Action.WriteConfig(7, s), new Action.CreateContainer(7, s));
        List<Action> plan = planner.plan(desired(s), FirewallState.EMPTY, Set.of(), containers);
        assertThat(plan).hasSize(4);
        assertThat(plan.get(0)).isEqualTo(new Action.ApplyFirewall(7, s, Set.of()));
        assertThat(plan.subList(1, 4)).isEqualTo(containers);
    }

    @Test
    void rulesThatMatchAreLeftAloneAndAChangedMemberSetRebuildsThem() {
        DesiredSubnode s = subnode(7, 3, "10.0.0.2");
        FirewallState current = new FirewallState(Map.of(3, new FirewallState.Installed(7, s.isolation().firewallFingerprint(), Set.of(200_003))));
        assertThat(planner.plan(desired(s), current, Set.of(7L), List.of())).isEmpty();

        DesiredSubnode moved = subnode(7, 3, "10.0.0.9"); // a member was replaced
        assertThat(planner.plan(desired(moved), current, Set.of(7L), List.of())).containsExactly(new Action.ApplyFirewall(7, moved, Set.of()));
    }

    @Test
    void aChangedUidBaseDropsTheOldUidInTheSameTransaction() {
        DesiredSubnode s = subnode(7, 3, "10.0.0.2");
        FirewallState current = new FirewallState(Map.of(3, new FirewallState.Installed(7, "old", Set.of(100_003))));
        assertThat(planner.plan(desired(s), current, Set.of(7L), List.of())).containsExactly(new Action.ApplyFirewall(7, s, Set.of(100_003)));
    }

    @Test
    void aGoneChainLosesItsRulesOnlyOnceItHasNoContainer() {
        FirewallState current = new FirewallState(Map.of(5, new FirewallState.Installed(9, "f", Set.of(200_005))));
        Action remove = new Action.RemoveContainer(9, "c9", "chain no longer assigned to this node");
        // Its container is removed in this pass: the rules stay until the next pass sees no container.
        assertThat(planner.plan(desired(), current, Set.of(9L), List.of(remove))).containsExactly(remove);
        // Leaving until finishAt: the container runs and keeps its rules.
        assertThat(planner.plan(desired(), current, Set.of(9L), List.of())).isEmpty();
        DesiredSubnode other = subnode(7, 3, "10.0.0.2");
        List<Action> plan = planner.plan(desired(other), current, Set.of(), List.of(new Action.CreateContainer(7, other)));
        assertThat(plan).last().isEqualTo(new Action.RemoveFirewall(9, 5, Set.of(200_005)));
        assertThat(plan.get(0)).isInstanceOf(Action.ApplyFirewall.class);
    }
}
