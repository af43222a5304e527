package io.flotilla.agent.reconcile;

import io.flotilla.agent.plan.Action;
import io.flotilla.agent.plan.ActualState;
import io.flotilla.agent.plan.ActualState.RestartHistory;
import io.flotilla.agent.plan.DesiredState;
import io.flotilla.agent.plan.DesiredSubnode;
import io.flotilla.agent.plan.Names;
import io.flotilla.agent.plan.Planner;
import io.flotilla.agent.runtime.ContainerRuntime;
import io.flotilla.agent.runtime.ContainerSpec;
import io.flotilla.agent.runtime.ContainerStats;
import io.flotilla.agent.runtime.ObservedContainer;
import io.flotilla.agent.runtime.ObservedContainer.ContainerState;
import io.flotilla.agent.runtime.ObservedVolume;
import io.flotilla.agent.status.AgentStatus;
import io.flotilla.agent.status.AgentStatus.Health;
import io.flotilla.agent.status.AgentStatus.SubnodeView;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.ManagerException;
import io.flotilla.manager.NodeInfo;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reconcile pass: read the desired state from the contracts and the actual state from Docker, plan, apply.
 * When either side cannot be read the pass changes nothing and the agent reports itself degraded, so running
 * subnodes are never touched because of an outage of the manager RPC or of Docker.
 */
public final class Reconciler {

    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
    private static final Duration STABLE_AFTER = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final ManagerClient client;
    private final ContainerRuntime runtime;
    private final DesiredStateReader reader;
    private final ChainDuties duties;
    private final Planner planner;
    private final ConfigWriter configWriter;
    private final String subnodeUser;
    private final AgentStatus status;
    private final MeterRegistry metrics;
    private final Clock clock;
    private final Timer latency;
    private final Map<String, RestartHistory> restarts = new ConcurrentHashMap<>();
    private final Map<String, Instant> orphanedSince = new ConcurrentHashMap<>();
    // Docker 20.10 takes 1-2 s per stats sample, so samples are taken off the reconcile path (see sampleStats).
    private final Map<String, ContainerStats> statsCache = new ConcurrentHashMap<>();
    private final Map<ContainerState, AtomicLong> containersByState = new EnumMap<>(ContainerState.class);
    private volatile DesiredState lastDesired;
    private volatile Set<Long> runningChains = Set.of();
    private volatile Long nodeId;
    private long passes;

    public Reconciler(ManagerClient client, ContainerRuntime runtime, DesiredStateReader reader, ChainDuties duties, Planner planner,
            ConfigWriter configWriter, String subnodeUser, AgentStatus status, MeterRegistry metrics, Clock clock) {
        this.client = client;
        this.runtime = runtime;
        this.reader = reader;
        this.duties = duties;
        this.planner = planner;
        this.configWriter = configWriter;
        this.subnodeUser = subnodeUser;
        this.status = status;
        this.metrics = metrics;
        this.clock = clock;
        this.latency = Timer.builder("flotilla.reconcile.latency").description("duration of a reconcile pass").register(metrics);
        for (ContainerState state : ContainerState.values()) {
            AtomicLong gauge = new AtomicLong();
            containersByState.put(state, gauge);
            metrics.gauge("flotilla.containers", List.of(io.micrometer.core.instrument.Tag.of("state", state.name().toLowerCase())), gauge);
        }
    }

    /**
     * Samples CPU and memory of every running subnode into the cache the status reads; called from its own thread
     * because each sample takes the engine a second or two.
     */
    public void sampleStats() {
        DesiredState desired = lastDesired;
        if (desired == null) {
            return;
        }
        Set<String> seen = new HashSet<>();
        for (ObservedContainer c : runtime.listContainers(Names.nodeSelector(desired.nodeId()))) {
            if (c.state() == ContainerState.RUNNING) {
                runtime.stats(c.id()).ifPresent(sample -> statsCache.put(c.id(), sample));
                seen.add(c.id());
            }
        }
        statsCache.keySet().retainAll(seen);
    }

    /**
     * This node: by its address while it is registered; after it has left, the address is freed, so the node is
     * found again from the labels of the containers it still runs (they serve until their rotation's finishAt).
     */
    private Optional<NodeInfo> resolveNode() {
        if (nodeId != null) {
            return Optional.of(client.node(nodeId));
        }
        Optional<NodeInfo> me = client.nodeByAddress(client.account());
        if (me.isEmpty()) {
            Set<Long> candidates = new HashSet<>();
            runtime.listContainers(Map.of(Names.LABEL_MANAGED, "true"))
                    .forEach(c -> candidates.add(Long.parseLong(c.labels().getOrDefault(Names.LABEL_NODE, "0"))));
            runtime.listVolumes(Map.of(Names.LABEL_MANAGED, "true"))
                    .forEach(v -> candidates.add(Long.parseLong(v.labels().getOrDefault(Names.LABEL_NODE, "0"))));
            candidates.remove(0L);
            me = candidates.stream().map(client::node).filter(n -> n.address().equalsIgnoreCase(client.account())).findFirst();
        }
        me.ifPresent(n -> nodeId = n.id());
        return me;
    }

    /** Chains whose subnode on this node was running at the end of the last pass. */
    public Set<Long> runningChains() {
        return runningChains;
    }

    /** The desired state of the last successful read, null before the first. */
    public DesiredState lastDesired() {
        return lastDesired;
    }

    /** Runs one pass; returns the actions applied (empty when the pass was skipped). */
    public synchronized List<Action> reconcile() {
        long started = System.nanoTime();
        Instant now = clock.instant();
        NodeInfo node;
        List<ObservedContainer> containers;
        List<ObservedVolume> volumes;
        DesiredState desired;
        try {
            Optional<NodeInfo> me = resolveNode();
            if (me.isEmpty()) {
                status.degraded("no node is registered for address " + client.account() + " (run ./flotilla node register)");
                return List.of();
            }
            node = me.get();
            // Draws of this node's chains, its own exit, its expired chains: before reading what it must run.
            if (!duties.perform(node).isEmpty()) {
                node = client.node(node.id());
            }
        } catch (ManagerException e) {
            status.degraded("manager RPC: " + e.getMessage());
            return List.of();
        }
        try {
            containers = runtime.listContainers(Names.nodeSelector(node.id()));
            volumes = runtime.listVolumes(Names.nodeSelector(node.id()));
        } catch (RuntimeException e) {
            status.degraded("docker: " + e.getMessage());
            return List.of();
        }
        try {
            Set<Long> running = new HashSet<>();
            containers.forEach(c -> running.add(Names.chainOf(c.labels())));
            desired = reader.read(node, running, now);
        } catch (ManagerException e) {
            status.degraded("manager RPC: " + e.getMessage());
            return List.of();
        }
        lastDesired = desired;

        Set<String> images = new HashSet<>();
        for (DesiredSubnode s : desired.subnodes()) {
            if (!images.contains(s.imageId()) && runtime.imageId(s.imageId()).filter(s.imageId()::equals).isPresent()) {
                images.add(s.imageId());
            }
        }
        forgetStableRestarts(containers, now);
        ActualState actual = new ActualState(containers, volumes, images, restarts, trackOrphans(desired, containers, volumes, now));
        List<Action> plan = planner.plan(desired, actual, now);
        List<String> problems = new ArrayList<>();
        for (Action action : plan) {
            try {
                apply(action, now);
                metrics.counter("flotilla.actions", "kind", action.kind()).increment();
                if (!(action instanceof Action.RefuseImage)) {
                    status.clearChainError(action.chainId());
                }
            } catch (RuntimeException e) {
                String message = action.kind() + " failed: " + e.getMessage();
                LOG.warn("chain {}: {}", action.chainId(), message);
                status.chainError(action.chainId(), message);
                problems.add("chain " + action.chainId() + ": " + message);
            }
        }
        List<ObservedContainer> after = plan.isEmpty() ? containers : runtime.listContainers(Names.nodeSelector(node.id()));
        long millis = (System.nanoTime() - started) / 1_000_000;
        latency.record(Duration.ofMillis(millis));
        passes++;
        publish(node, desired, after, problems, now, millis);
        return plan;
    }

    private void apply(Action action, Instant now) {
        switch (action) {
            case Action.CreateVolume a -> runtime.createVolume(a.subnode().volumeName(), Names.volumeLabels(a.subnode()));
            case Action.WriteConfig a -> configWriter.write(a.subnode());
            case Action.CreateContainer a -> runtime.startContainer(runtime.createContainer(spec(a.subnode())));
            case Action.StartContainer a -> runtime.startContainer(a.containerId());
            case Action.RestartContainer a -> {
                restarts.put(a.containerId(), new RestartHistory(a.attempt(), now));
                metrics.counter("flotilla.restarts").increment();
                LOG.info("chain {}: restarting container {} (exit code {}, attempt {})", a.chainId(), a.containerId(), a.exitCode(), a.attempt());
                runtime.startContainer(a.containerId());
            }
            case Action.RecreateContainer a -> {
                LOG.info("chain {}: recreating container {}: {}", a.chainId(), a.containerId(), a.reason());
                runtime.stopContainer(a.containerId(), STOP_TIMEOUT);
                runtime.removeContainer(a.containerId());
                restarts.remove(a.containerId());
                runtime.startContainer(runtime.createContainer(spec(a.subnode())));
            }
            case Action.RemoveContainer a -> {
                LOG.info("chain {}: removing container {}: {}", a.chainId(), a.containerId(), a.reason());
                runtime.stopContainer(a.containerId(), STOP_TIMEOUT);
                runtime.removeContainer(a.containerId());
                restarts.remove(a.containerId());
            }
            case Action.RemoveVolume a -> {
                runtime.removeVolume(a.volume());
                configWriter.delete(a.volume().substring(0, a.volume().length() - "-data".length()));
                orphanedSince.remove(a.volume());
            }
            case Action.RefuseImage a -> {
                LOG.warn("chain {}: refusing to run: {}", a.chainId(), a.reason());
                status.chainError(a.chainId(), "refused: " + a.reason());
            }
        }
    }

    private ContainerSpec spec(DesiredSubnode s) {
        return new ContainerSpec(s.containerName(), s.imageId(), Names.containerLabels(s), List.of(), Map.of(), subnodeUser, s.limits(),
                s.volumeName(), SubnodeConfig.DATA_MOUNT, configWriter.directoryOf(s).toString(), SubnodeConfig.CONFIG_MOUNT,
                Map.of("/tmp", "rw,noexec,nosuid,size=64m"));
    }

    private void forgetStableRestarts(List<ObservedContainer> containers, Instant now) {
        Set<String> present = new HashSet<>();
        for (ObservedContainer c : containers) {
            present.add(c.id());
            if (c.state() == ContainerState.RUNNING && c.startedAt() != null && c.startedAt().plus(STABLE_AFTER).isBefore(now)) {
                restarts.remove(c.id());
            }
        }
        restarts.keySet().retainAll(present);
    }

    private Map<String, Instant> trackOrphans(DesiredState desired, List<ObservedContainer> containers, List<ObservedVolume> volumes, Instant now) {
        ActualState probe = new ActualState(containers, volumes, Set.of(), Map.of(), Map.of());
        Set<String> orphaned = new HashSet<>();
        for (ObservedVolume v : volumes) {
            if (Planner.isOrphaned(v, desired, probe)) {
                orphaned.add(v.name());
                orphanedSince.putIfAbsent(v.name(), now);
            }
        }
        orphanedSince.keySet().retainAll(orphaned);
        return new HashMap<>(orphanedSince);
    }

    private void publish(NodeInfo node, DesiredState desired, List<ObservedContainer> containers, List<String> problems, Instant now, long millis) {
        containersByState.values().forEach(g -> g.set(0));
        containers.forEach(c -> containersByState.get(c.state()).incrementAndGet());
        runningChains = containers.stream().filter(c -> c.state() == ContainerState.RUNNING)
                .map(c -> Names.chainOf(c.labels())).collect(java.util.stream.Collectors.toUnmodifiableSet());
        Map<Long, String> errors = status.chainErrors();
        Map<Long, ObservedContainer> byChain = new HashMap<>();
        containers.forEach(c -> byChain.put(Names.chainOf(c.labels()), c));
        List<SubnodeView> views = new ArrayList<>();
        for (DesiredSubnode s : desired.subnodes()) {
            ObservedContainer c = byChain.remove(s.chainId());
            views.add(view(s.chainId(), s.chainName(), c, s.imageVersion(), s.imageId(), s.slot(), s.limits().cpuQuotaMicros(),
                    s.limits().memoryBytes(), s.limits().pidsLimit(), null, errors.get(s.chainId())));
        }
        for (ObservedContainer c : byChain.values()) {
            long chainId = Names.chainOf(c.labels());
            Instant until = desired.leavingUntil().get(chainId);
            views.add(view(chainId, c.labels().get(Names.LABEL_CHAIN_NAME), c, c.labels().get(Names.LABEL_IMAGE_VERSION),
                    c.labels().get(Names.LABEL_IMAGE_ID), -1, 0, 0, 0, until == null ? null : until.toString(), errors.get(chainId)));
        }
        List<String> all = new ArrayList<>(problems);
        errors.forEach((chain, error) -> all.add("chain " + chain + ": " + error));
        Health health = problems.isEmpty() ? Health.OK : Health.DEGRADED;
        status.publish(new AgentStatus.Snapshot(health, List.copyOf(all), node.id(), node.address(), now, millis, passes, views));
    }

    private SubnodeView view(long chainId, String name, ObservedContainer c, String version, String imageId, int slot, long quota,
            long memory, long pids, String leavingUntil, String error) {
        ContainerStats stats = c != null && c.state() == ContainerState.RUNNING ? statsCache.get(c.id()) : null;
        if (stats != null) {
            metrics.gauge("flotilla.subnode.cpu.cores", List.of(io.micrometer.core.instrument.Tag.of("chain", name)), stats.cpuCores());
            metrics.gauge("flotilla.subnode.memory.bytes", List.of(io.micrometer.core.instrument.Tag.of("chain", name)), stats.memoryBytes());
        }
        RestartHistory history = c == null ? null : restarts.get(c.id());
        return new SubnodeView(chainId, name, c == null ? null : c.name(), c == null ? "ABSENT" : c.state().name(),
                c == null ? 0 : c.exitCode(), version, imageId, slot, quota, memory, pids, history == null ? 0 : history.attempts(),
                leavingUntil, error, stats == null ? null : stats.cpuCores(), stats == null ? null : stats.memoryBytes());
    }
}
