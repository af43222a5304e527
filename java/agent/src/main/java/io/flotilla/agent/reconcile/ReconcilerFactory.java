package io.flotilla.agent.reconcile;

import io.flotilla.agent.config.AgentSettings;
import io.flotilla.agent.node.ConsensusKey;
import io.flotilla.agent.node.HostCapacity;
import io.flotilla.agent.plan.Planner;
import io.flotilla.agent.runtime.ContainerRuntime;
import io.flotilla.agent.status.AgentStatus;
import io.flotilla.manager.ManagerClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;

/** Assembles a {@link Reconciler} from the agent settings; shared by the service and its tests. */
public final class ReconcilerFactory {

    /** Members of a chain replace their containers (a new image, new limits) this far apart at least. */
    public static final Duration RESTART_STAGGER = Duration.ofSeconds(20);

    private ReconcilerFactory() {}

    public static Reconciler create(AgentSettings settings, ManagerClient client, ContainerRuntime runtime, AgentStatus status,
            MeterRegistry metrics, Clock clock) {
        AgentSettings.Capacity capacity = HostCapacity.resolve(settings.capacity(), settings.dataDir());
        LimitsCalculator limits = new LimitsCalculator(capacity, settings.reserve());
        Planner planner = new Planner(new Planner.Policy(Duration.ofSeconds(1), settings.restartMaxDelay(), settings.volumeGracePeriod()));
        int uid = Integer.parseInt(settings.subnodeUser().split(":")[0]);
        int gid = Integer.parseInt(settings.subnodeUser().split(":")[1]);
        // Subnodes get the node's consensus key only; the operator key (settings.keystore()) stays in the agent.
        ConsensusKey key = ConsensusKey.loadOrCreate(settings.dataDir());
        ConfigWriter writer = new ConfigWriter(settings.dataDir(), key.keystore(), key.password(), uid, gid);
        RestartGate gate = new RestartGate(client, new io.flotilla.agent.liveness.SubnodeRpc(), clock, RESTART_STAGGER);
        return new Reconciler(client, runtime, new DesiredStateReader(client, limits), new ChainDuties(client, key.address(), key::credentials), planner, writer,
                new io.flotilla.agent.state.AgentStateStore(settings.dataDir()), gate, settings.subnodeUser(), status, metrics, clock);
    }
}
