package io.flotilla.agent.reconcile;

import io.flotilla.agent.config.AgentSettings;
import io.flotilla.agent.config.SettingsException;
import io.flotilla.agent.isolation.FirewallRules;
import io.flotilla.agent.isolation.Isolation;
import io.flotilla.agent.isolation.Nftables;
import io.flotilla.agent.isolation.SubnodeUids;
import io.flotilla.agent.isolation.VolumeQuota;
import io.flotilla.agent.node.HostCapacity;
import io.flotilla.agent.plan.Planner;
import io.flotilla.agent.runtime.ContainerRuntime;
import io.flotilla.agent.status.AgentStatus;
import io.flotilla.manager.ManagerClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;

/** Assembles a {@link Reconciler} from the agent settings; shared by the service and its tests. */
public final class ReconcilerFactory {

    /** Members of a chain replace their containers (a new image, new limits) this far apart at least. */
    public static final Duration RESTART_STAGGER = Duration.ofSeconds(20);

    /** A member on a new image that has not finalized this long after its change is rolled back (docs/agent.md). */
    public static final Duration ROLLOUT_GRACE = Duration.ofMinutes(2);

    private ReconcilerFactory() {}

    public static Reconciler create(AgentSettings settings, ManagerClient client, ContainerRuntime runtime, AgentStatus status,
            MeterRegistry metrics, Clock clock) {
        return create(settings, client, runtime, status, metrics, clock, RESTART_STAGGER,
                io.flotilla.agent.plan.Rollout.Policy.withGrace(ROLLOUT_GRACE));
    }

    /** As the service builds it, with another restart stagger and rollout grace period (tests). */
    public static Reconciler create(AgentSettings settings, ManagerClient client, ContainerRuntime runtime, AgentStatus status,
            MeterRegistry metrics, Clock clock, Duration stagger, io.flotilla.agent.plan.Rollout.Policy rollout) {
        AgentSettings.Capacity capacity = HostCapacity.resolve(settings.capacity(), settings.dataDir());
        LimitsCalculator limits = new LimitsCalculator(capacity, settings.reserve());
        Planner planner = new Planner(new Planner.Policy(Duration.ofSeconds(1), settings.restartMaxDelay(), settings.volumeGracePeriod()));
        // Subnodes get the node's consensus key only; the operator key (settings.keystore()) stays in the agent.
        io.flotilla.agent.node.ConsensusKey key = io.flotilla.agent.node.ConsensusKey.loadOrCreate(settings.dataDir());
        ConfigWriter writer = new ConfigWriter(settings.dataDir(), key.keystore(), key.password(), settings.subnodeUidBase());
        RestartGate gate = new RestartGate(client, new io.flotilla.agent.liveness.SubnodeRpc(), clock, stagger);
        return new Reconciler(client, runtime, new DesiredStateReader(client, limits, settings.subnodeUidBase()),
                new ChainDuties(client, key.address(), key::credentials),
                planner, writer, new io.flotilla.agent.state.AgentStateStore(settings.dataDir()), gate, isolation(settings), status, metrics,
                clock, new io.flotilla.agent.plan.Rollout(rollout), new io.flotilla.agent.liveness.SubnodeRpc()::health);
    }

    /** The node's firewall (unless turned off) and volume quotas (when this machine can make them). */
    public static Isolation isolation(AgentSettings settings) {
        Nftables firewall = null;
        if (!"off".equals(settings.firewallTable())) {
            FirewallRules rules = new FirewallRules(settings.firewallTable(), settings.subnodeUidBase(), SubnodeUids.SLOTS);
            // Without nft the plan goes on without firewall steps, and health says why (Isolation.problems).
            firewall = new Nftables(Nftables.locate().orElse(java.nio.file.Path.of("/usr/sbin/nft")), rules);
        }
        java.util.Optional<String> noQuotas = VolumeQuota.unusable();
        return new Isolation(firewall, noQuotas.isEmpty() ? new VolumeQuota(settings.dataDir()) : null, noQuotas.orElse(null));
    }
}
