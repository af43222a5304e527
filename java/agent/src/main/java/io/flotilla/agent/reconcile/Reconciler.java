package io.flotilla.agent.reconcile;

import io.flotilla.agent.isolation.Isolation;
import io.flotilla.agent.plan.Action;
import io.flotilla.agent.plan.ActualState;
import io.flotilla.agent.plan.ActualState.RestartHistory;
import io.flotilla.agent.plan.DesiredState;
import io.flotilla.agent.plan.DesiredSubnode;
import io.flotilla.agent.runtime.ContainerRuntimeException;
import io.flotilla.agent.plan.Names;
import io.flotilla.agent.plan.Planner;
import io.flotilla.agent.runtime.ContainerRuntime;
import io.flotilla.agent.runtime.ContainerSpec;
import io.flotilla.agent.runtime.ContainerStats;
import io.flotilla.agent.runtime.ObservedContainer;
import io.flotilla.agent.runtime.ObservedContainer.ContainerState;
import io.flotilla.agent.runtime.ObservedVolume;
import io.flotilla.agent.state.AgentStateStore;
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
    /** Restarts without a stable run (60 s) after which a subnode counts as crash-looping: health DOWN. */
    static final int CRASH_LOOP_RESTARTS = 3;

    private final ManagerClient client;
    private final ContainerRuntime runtime;
    private final DesiredStateReader reader;
    private final ChainDuties duties;
    private final Planner planner;
    private final ConfigWriter configWriter;
    private final AgentStateStore store;
    private final RestartGate gate;
    private final String network;
    private final Isolation isolation;
    private final AgentStatus status;
    private final MeterRegistry metrics;
    private final Clock clock;
    private final Timer latency;
    private final Map<String, RestartHistory> restarts = new ConcurrentHashMap<>();
    private final Map<String, Instant> orphanedSince = new ConcurrentHashMap<>();
    // Docker 20.10 takes 1-2 s per stats sample, so samples are taken off the reconcile path (see sampleStats).
    private final Map<String, ContainerStats> statsCache = new ConcurrentHashMap<>();
    private final Map<ContainerState, AtomicLong> containersByState = new EnumMap<>(ContainerState.class);
    private final Map<String, ChainGauge> chainGauges = new ConcurrentHashMap<>();
    private final Set<String> strayReported = ConcurrentHashMap.newKeySet();
    private final io.flotilla.agent.plan.Rollout rollout;
    private final io.flotilla.agent.liveness.HealthProbe ownHealth;
    /** Containers on a new image that this agent has seen finalize: never rolled back (lost on restart, see Rollout). */
    private final Set<String> confirmed = ConcurrentHashMap.newKeySet();
    /** Per chain, the rollout held on this node (it runs the previous image), for notices; rebuilt every full pass. */
    private volatile Map<Long, io.flotilla.agent.plan.Rollout.Hold> held = Map.of();
    private volatile DesiredState lastDesired;
    private volatile String nodeAddress;
    private volatile Set<Long> runningChains = Set.of();
    private volatile Long nodeId;
    private long passes;

    public Reconciler(ManagerClient client, ContainerRuntime runtime, DesiredStateReader reader, ChainDuties duties, Planner planner,
            ConfigWriter configWriter, AgentStateStore store, RestartGate gate, Isolation isolation, AgentStatus status,
            MeterRegistry metrics, Clock clock) {
        this(client, runtime, reader, duties, planner, configWriter, store, gate, isolation, status, metrics, clock,
                new io.flotilla.agent.plan.Rollout(io.flotilla.agent.plan.Rollout.Policy.withGrace(ReconcilerFactory.ROLLOUT_GRACE)),
                new io.flotilla.agent.liveness.SubnodeRpc()::health);
    }

    /**
     * @param rollout when a member on a new image is rolled back
     * @param ownHealth probes this node's own subnodes on a new image until they finalize
     */
    public Reconciler(ManagerClient client, ContainerRuntime runtime, DesiredStateReader reader, ChainDuties duties, Planner planner,
            ConfigWriter configWriter, AgentStateStore store, RestartGate gate, Isolation isolation, AgentStatus status,
            MeterRegistry metrics, Clock clock, io.flotilla.agent.plan.Rollout rollout, io.flotilla.agent.liveness.HealthProbe ownHealth) {
        this.rollout = rollout;
        this.ownHealth = ownHealth;
        this.client = client;
        this.runtime = runtime;
        this.reader = reader;
        this.duties = duties;
        this.planner = planner;
        this.configWriter = configWriter;
        this.store = store;
        this.gate = gate;
        this.network = client.addressBook().networkId();
        this.isolation = isolation;
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
        for (ObservedContainer c : runtime.listContainers(Names.nodeSelector(network, desired.nodeId()))) {
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
            runtime.listContainers(Names.networkSelector(network)).forEach(c -> candidates.add(nodeOf(c.labels())));
            runtime.listVolumes(Names.networkSelector(network)).forEach(v -> candidates.add(nodeOf(v.labels())));
            candidates.remove(0L);
            me = candidates.stream().map(client::node).filter(n -> n.address().equalsIgnoreCase(client.account())).findFirst();
        }
        me.ifPresent(n -> nodeId = n.id());
        return me;
    }

    private static long nodeOf(Map<String, String> labels) {
        try {
            return Long.parseLong(labels.getOrDefault(Names.LABEL_NODE, "0"));
        } catch (NumberFormatException e) {
            return 0; // a malformed label names no node
        }
    }

    /** The network identity this agent's names, labels and selectors carry. */
    public String network() {
        return network;
    }

    /** Chains whose subnode on this node was running at the end of the last pass. */
    public Set<Long> runningChains() {
        return runningChains;
    }

    /** The desired state of the last successful read, null before the first. */
    public DesiredState lastDesired() {
        return lastDesired;
    }

    /**
     * Runs one full pass: contracts, Docker, plan, apply. Returns the actions applied. When the contracts cannot be
     * read, the pass falls back to {@link #keepRunning}: subnodes that exist keep being started from the last known
     * desired state, and nothing is created, replaced or removed.
     */
    public List<Action> reconcile() {
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
            metrics.counter("flotilla.rpc.errors", "endpoint", "manager").increment();
            return keepRunning("manager RPC: " + e.getMessage());
        }
        try {
            containers = runtime.listContainers(Names.nodeSelector(network, node.id()));
            volumes = runtime.listVolumes(Names.nodeSelector(network, node.id()));
        } catch (RuntimeException e) {
            status.degraded("docker: " + e.getMessage());
            return List.of();
        }
        try {
            Set<Long> present = new HashSet<>();
            containers.forEach(c -> present.add(Names.chainOf(c.labels())));
            volumes.forEach(v -> present.add(Names.chainOf(v.labels())));
            Map<Long, io.flotilla.agent.plan.Rollout.Hold> holds = new ConcurrentHashMap<>();
            NodeInfo self = node;
            desired = reader.read(node, present, now, (chain, firstPort) -> {
                var hold = holdOf(chain, self, firstPort, containers, now);
                hold.ifPresent(h -> holds.put(chain.id(), h));
                return hold;
            });
            held = Map.copyOf(holds);
        } catch (ManagerException e) {
            metrics.counter("flotilla.rpc.errors", "endpoint", "manager").increment();
            return keepRunning("manager RPC: " + e.getMessage());
        }
        // The contracts were read without holding the lock, so Docker-only passes (restarts) never wait for the RPC.
        synchronized (this) {
            return applyDesired(node, desired, started, now);
        }
    }

    private List<Action> applyDesired(NodeInfo node, DesiredState desired, long started, Instant now) {
        lastDesired = desired;
        nodeAddress = node.address();
        try {
            store.saveDesired(desired, now);
        } catch (RuntimeException e) {
            LOG.warn("{}", e.getMessage()); // the pass goes on: the file only matters for the next outage
        }
        List<ObservedContainer> containers;
        List<ObservedVolume> volumes;
        try {
            containers = runtime.listContainers(Names.nodeSelector(network, node.id()));
            volumes = runtime.listVolumes(Names.nodeSelector(network, node.id()));
        } catch (RuntimeException e) {
            status.degraded("docker: " + e.getMessage());
            return List.of();
        }

        Set<String> images = new HashSet<>();
        for (DesiredSubnode s : desired.subnodes()) {
            if (!images.contains(s.imageId()) && runtime.imageId(s.imageId()).filter(s.imageId()::equals).isPresent()) {
                images.add(s.imageId());
            }
        }
        forgetStableRestarts(containers, now);
        Map<Long, String> onDisk = new HashMap<>();
        for (DesiredSubnode s : desired.subnodes()) {
            configWriter.currentHash(s).ifPresent(h -> onDisk.put(s.chainId(), h));
        }
        ActualState actual = new ActualState(containers, volumes, images, restarts, trackOrphans(desired, containers, volumes, now), onDisk);
        Set<Long> withContainers = new HashSet<>();
        containers.forEach(c -> withContainers.add(Names.chainOf(c.labels())));
        // Firewall steps wrap the container plan: rules before a chain's containers, removals once its container is gone.
        List<Action> plan = isolation.plan(desired, withContainers, planner.plan(desired, actual, now));
        List<String> problems = new ArrayList<>();
        List<Action> applied = applyAll(plan, now, problems);
        List<ObservedContainer> after = plan.isEmpty() ? containers : runtime.listContainers(Names.nodeSelector(network, node.id()));
        long millis = (System.nanoTime() - started) / 1_000_000;
        latency.record(Duration.ofMillis(millis));
        passes++;
        publish(node.id(), node.address(), desired, after, problems, now, millis);
        return applied;
    }

    /**
     * Whether this node runs {@code chain} on its previous image instead of the pinned one (docs/agent.md, "Image
     * rollout"). A container on a new image that has not been seen finalizing is probed first (its own JSON-RPC on
     * this node); once it finalizes on the pinned image it is confirmed and never rolled back.
     */
    private Optional<io.flotilla.agent.plan.Rollout.Hold> holdOf(io.flotilla.manager.ChainInfo chain, NodeInfo node, int firstPort,
            List<ObservedContainer> containers, Instant now) {
        String name = Names.container(network, chain.name(), node.id());
        ObservedContainer current = containers.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
        if (current == null) {
            return Optional.empty();
        }
        confirmed.retainAll(containers.stream().map(ObservedContainer::id).collect(java.util.stream.Collectors.toSet()));
        boolean ok = confirmed.contains(current.id());
        if (!ok && current.state() == ContainerState.RUNNING && rollout.onTrial(chain.imageDigest(), current, now)) {
            Optional<io.flotilla.agent.liveness.SubnodeRpc.Health> health = ownHealth.health(node.ip(),
                    firstPort + io.flotilla.subnode.config.PortLayout.RPC_HTTP, now);
            ok = health.filter(h -> h.finalizing() && (h.image() == null || h.image().equals(chain.imageDigest()))).isPresent();
            if (ok) {
                confirmed.add(current.id());
                LOG.info("chain {}: image {} is finalizing on this node", chain.id(), chain.imageVersion());
            }
        }
        return rollout.hold(chain.imageDigest(), chain.imageVersion(), current, ok, now);
    }

    /**
     * A Docker-only pass for when a subnode stopped (a Docker event) or the contracts cannot be read: from the last
     * desired state (in memory, else the one saved in the data directory), starts the subnodes that exist and have
     * stopped, with the crash-loop backoff. Creates, replaces and removes nothing. Returns the actions applied.
     */
    public List<Action> keepRunning() {
        return keepRunning(null);
    }

    private synchronized List<Action> keepRunning(String outage) {
        long started = System.nanoTime();
        Instant now = clock.instant();
        DesiredState desired = lastDesired;
        String from = "the last pass";
        if (desired == null) {
            Optional<AgentStateStore.Saved> saved;
            try {
                saved = store.loadDesired();
            } catch (RuntimeException e) {
                saved = Optional.empty();
                LOG.warn("{}", e.getMessage());
            }
            if (saved.isEmpty()) {
                if (outage != null) {
                    status.degraded(outage + "; no desired state known yet, nothing to keep running");
                }
                return List.of();
            }
            desired = saved.get().desired();
            lastDesired = desired;
            from = "the state saved at " + saved.get().savedAt();
        }
        List<ObservedContainer> containers;
        try {
            containers = runtime.listContainers(Names.nodeSelector(network, desired.nodeId()));
        } catch (RuntimeException e) {
            status.degraded("docker: " + e.getMessage());
            return List.of();
        }
        forgetStableRestarts(containers, now);
        // Only containers matter here: volumes, images and config files are not looked at (the containers exist, with
        // their image), so the plan is filtered to starts.
        Set<String> images = desired.subnodes().stream().map(DesiredSubnode::imageId).collect(java.util.stream.Collectors.toSet());
        ActualState actual = new ActualState(containers, List.of(), images, restarts, Map.of(), Map.of());
        DesiredState present = desired;
        List<Action> plan = planner.plan(desired, actual, now).stream()
                .filter(a -> a instanceof Action.StartContainer || a instanceof Action.RestartContainer)
                .filter(a -> present.subnodes().stream().anyMatch(s -> s.chainId() == a.chainId()) || present.leavingUntil().containsKey(a.chainId()))
                .toList();
        List<String> problems = new ArrayList<>();
        if (outage != null) {
            problems.add(outage + "; keeping the existing subnodes running from " + from);
        }
        List<Action> applied = applyAll(plan, now, problems);
        List<ObservedContainer> after = plan.isEmpty() ? containers : runtime.listContainers(Names.nodeSelector(network, desired.nodeId()));
        long millis = (System.nanoTime() - started) / 1_000_000;
        if (outage != null || !applied.isEmpty()) {
            publish(desired.nodeId(), nodeAddress, desired, after, problems, now, millis);
        }
        return applied;
    }

    /**
     * Applies a plan chain by chain. The steps of one chain depend on each other (volume, then config, then
     * container), so the first failure stops the rest of that chain's steps: no container is recreated over a
     * config that could not be written, and none is created before its labelled volume exists. Other chains go on.
     */
    private List<Action> applyAll(List<Action> plan, Instant now, List<String> problems) {
        List<Action> applied = new ArrayList<>();
        Set<Long> stopped = new HashSet<>();
        for (Action action : plan) {
            if (stopped.contains(action.chainId())) {
                continue;
            }
            try {
                apply(action, now);
                applied.add(action);
                metrics.counter("flotilla.actions", "kind", action.kind()).increment();
                if (!(action instanceof Action.RefuseImage)) {
                    status.clearChainError(action.chainId());
                }
            } catch (Deferred e) {
                stopped.add(action.chainId());
                String notice = action.kind() + " deferred: " + e.getMessage();
                if (!notice.equals(status.chainNotices().get(action.chainId()))) {
                    LOG.info("chain {}: {}", action.chainId(), notice);
                }
                status.chainNotice(action.chainId(), notice);
            } catch (RuntimeException e) {
                stopped.add(action.chainId());
                String message = action.kind() + " failed: " + e.getMessage();
                LOG.warn("chain {}: {} (the chain's later steps wait for the next pass)", action.chainId(), message);
                metrics.counter("flotilla.action.failures", "kind", action.kind()).increment();
                status.chainError(action.chainId(), message);
                problems.add("chain " + action.chainId() + ": " + message);
            }
        }
        return applied;
    }

    /**
     * Starts a container. A dockerd that is shut down while a start is in flight can leave containerd holding the
     * container's task; the restarted engine then refuses every start of that container ("task ... already exists")
     * for a long time. Such a container is replaced from its desired spec (the data volume is kept), so a subnode is
     * back within seconds of a dockerd restart. Returns the id of the container that now runs.
     */
    private String start(long chainId, String containerId, DesiredSubnode subnode) {
        isolation.beforeStart(); // volume images mounted (they do not survive a reboot) before any container starts
        try {
            runtime.startContainer(containerId);
            return containerId;
        } catch (ContainerRuntimeException e) {
            if (subnode == null || !isStaleTask(e)) {
                throw e;
            }
            LOG.warn("chain {}: Docker refuses to start container {} ({}); replacing it, its volume kept", chainId, containerId,
                    e.getMessage());
            metrics.counter("flotilla.stale.task.replacements").increment();
            runtime.removeContainer(containerId);
            restarts.remove(containerId);
            String replacement = runtime.createContainer(spec(subnode));
            runtime.startContainer(replacement);
            return replacement;
        }
    }

    /** The ways dockerd and containerd have said "a task or runtime object of that id is left over". */
    static boolean isStaleTask(ContainerRuntimeException e) {
        String message = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        return message.contains("already exists") || message.contains("id already in use") || message.contains("with id exists");
    }

    /** A step that must wait (another member of the chain is not finalizing); not a failure. */
    private static final class Deferred extends RuntimeException {
        Deferred(String message) {
            super(message, null, false, false);
        }
    }

    private void apply(Action action, Instant now) {
        switch (action) {
            case Action.CreateVolume a -> runtime.createVolume(a.subnode().volumeName(), Names.volumeLabels(a.subnode()),
                    isolation.createVolume(a.subnode()));
            case Action.ApplyFirewall a -> isolation.applyFirewall(a);
            case Action.RemoveFirewall a -> isolation.removeFirewall(a);
            case Action.WriteConfig a -> {
                configWriter.write(a.subnode());
                status.clearChainNotice(a.chainId());
            }
            case Action.CreateContainer a -> {
                isolation.beforeStart();
                adoptVolume(a.subnode());
                runtime.startContainer(runtime.createContainer(spec(a.subnode())));
            }
            case Action.StartContainer a -> start(a.chainId(), a.containerId(), a.subnode());
            case Action.RestartContainer a -> {
                LOG.info("chain {}: restarting container {} (exit code {}, attempt {})", a.chainId(), a.containerId(), a.exitCode(), a.attempt());
                // Only a start the engine accepted counts toward the crash-loop backoff: a start refused while dockerd
                // shuts down or comes back is retried at the next pass, not pushed back by seconds.
                String started = start(a.chainId(), a.containerId(), a.subnode());
                restarts.put(started, new RestartHistory(a.attempt(), now));
                metrics.counter("flotilla.restarts").increment();
            }
            case Action.RecreateContainer a -> {
                if (a.running() && !a.rollback()) {
                    Optional<String> refusal;
                    try {
                        refusal = gate.refusal(a.subnode(), a.previous() != null);
                    } catch (ManagerException e) {
                        refusal = Optional.of("cannot read the chain's members: " + e.getMessage());
                    }
                    if (refusal.isPresent()) {
                        throw new Deferred(refusal.get());
                    }
                }
                LOG.info("chain {}: recreating container {}: {}", a.chainId(), a.containerId(), a.reason());
                Map<String, String> labels = new HashMap<>(Names.containerLabels(a.subnode()));
                if (a.previous() != null) {
                    labels.put(Names.LABEL_PREVIOUS_IMAGE_VERSION, a.previous().version());
                    labels.put(Names.LABEL_PREVIOUS_IMAGE_ID, a.previous().id());
                    labels.put(Names.LABEL_ROLLOUT_AT, now.toString());
                }
                if (a.rollback()) {
                    LOG.warn("chain {}: {}", a.chainId(), a.reason());
                    metrics.counter("flotilla.image.rollbacks", "chain", a.subnode().chainName()).increment();
                }
                runtime.stopContainer(a.containerId(), STOP_TIMEOUT);
                runtime.removeContainer(a.containerId());
                restarts.remove(a.containerId());
                metrics.counter("flotilla.recreations").increment();
                status.clearChainNotice(a.chainId());
                isolation.beforeStart();
                adoptVolume(a.subnode());
                runtime.startContainer(runtime.createContainer(spec(a.subnode(), labels)));
            }
            case Action.UpdateResources a -> {
                LOG.info("chain {}: updating the limits of container {} in place: {} -> {}", a.chainId(), a.containerId(), a.from(), a.limits());
                runtime.updateResources(a.containerId(), a.limits());
                metrics.counter("flotilla.resource-updates").increment();
            }
            case Action.RemoveContainer a -> {
                LOG.info("chain {}: removing container {}: {}", a.chainId(), a.containerId(), a.reason());
                runtime.stopContainer(a.containerId(), STOP_TIMEOUT);
                runtime.removeContainer(a.containerId());
                restarts.remove(a.containerId());
            }
            case Action.RemoveVolume a -> {
                runtime.removeVolume(a.volume());
                isolation.removeVolume(a.volume());
                configWriter.delete(a.volume().substring(0, a.volume().length() - "-data".length()));
                orphanedSince.remove(a.volume());
            }
            case Action.RefuseImage a -> {
                LOG.warn("chain {}: refusing to run: {}", a.chainId(), a.reason());
                status.chainError(a.chainId(), "refused: " + a.reason());
            }
        }
    }

    /** A volume from before per-subnode uids is given to the subnode's uid (Isolation.adoptVolume). */
    private void adoptVolume(DesiredSubnode s) {
        runtime.volumeMountpoint(s.volumeName()).ifPresent(mp -> isolation.adoptVolume(s, java.nio.file.Path.of(mp)));
    }

    private ContainerSpec spec(DesiredSubnode s) {
        return spec(s, Names.containerLabels(s));
    }

    private ContainerSpec spec(DesiredSubnode s, Map<String, String> labels) {
        if (s.isolation() == null) {
            throw new IllegalStateException("chain " + s.chainId() + " has no uid: the desired state was read without isolation data");
        }
        // Its own uid and gid (base + slot): no other subnode and no host user shares them.
        String user = s.isolation().uid() + ":" + s.isolation().uid();
        return new ContainerSpec(s.containerName(), s.imageId(), labels, List.of(), Map.of(), user, s.limits(),
                s.volumeName(), SubnodeConfigRenderer.DATA_MOUNT, configWriter.directoryOf(s).toString(), SubnodeConfigRenderer.CONFIG_MOUNT,
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

    private void publish(long nodeId, String address, DesiredState desired, List<ObservedContainer> containers, List<String> problems,
            Instant now, long millis) {
        containersByState.values().forEach(g -> g.set(0));
        containers.forEach(c -> containersByState.get(c.state()).incrementAndGet());
        runningChains = containers.stream().filter(c -> c.state() == ContainerState.RUNNING)
                .map(c -> Names.chainOf(c.labels())).collect(java.util.stream.Collectors.toUnmodifiableSet());
        Map<Long, String> errors = status.chainErrors();
        Map<Long, ObservedContainer> byChain = new HashMap<>();
        List<String> notices = new ArrayList<>();
        for (ObservedContainer c : containers) {
            long chainId = Names.chainOf(c.labels());
            if (chainId < 0 || desired.strayChains().contains(chainId)) {
                String notice = "stray container " + c.name() + " is labelled for node " + nodeId + " but for chain "
                        + c.labels().get(Names.LABEL_CHAIN) + ", which the contracts do not know: left alone";
                notices.add(notice);
                if (strayReported.add(c.id())) {
                    LOG.warn("{}", notice);
                }
                continue;
            }
            byChain.put(chainId, c);
        }
        status.chainNotices().forEach((chain, notice) -> notices.add("chain " + chain + ": " + notice));
        held.forEach((chain, h) -> notices.add("chain " + chain + ": image " + h.failed().version() + " (" + h.failed().id()
                + ") did not finalize on this node within " + rollout.policy().grace().toSeconds() + " s; it runs "
                + h.previous().version() + " (" + h.previous().id() + ") again and holds the chain's rollout (the members after it"
                + " keep the old image) until the chain's owner moves the chain to another version"));
        notices.addAll(isolation.notices());
        List<SubnodeView> views = new ArrayList<>();
        List<String> all = new ArrayList<>(problems);
        all.addAll(isolation.problems());
        for (DesiredSubnode s : desired.subnodes()) {
            isolation.usage(s.volumeName()).ifPresent(u -> {
                gauge("flotilla.subnode.disk.used.bytes", s.chainName()).set(u.usedBytes());
                gauge("flotilla.subnode.disk.limit.bytes", s.chainName()).set(u.totalBytes());
                if (u.full()) {
                    all.add("chain " + s.chainId() + ": data volume " + s.volumeName() + " is full (" + u.usedBytes() + " of "
                            + u.totalBytes() + " bytes used): the subnode cannot store new blocks");
                } else if (u.nearlyFull()) {
                    notices.add("chain " + s.chainId() + ": data volume " + s.volumeName() + " is more than 90% full (" + u.usedBytes()
                            + " of " + u.totalBytes() + " bytes used)");
                }
            });
        }
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
        for (SubnodeView v : views) {
            if (v.restarts() >= CRASH_LOOP_RESTARTS) {
                all.add("chain " + v.chainId() + ": subnode " + v.container() + " is crash-looping (" + v.restarts()
                        + " restarts without running " + STABLE_AFTER.toSeconds() + " s; last exit code " + v.exitCode() + ")");
            }
        }
        errors.forEach((chain, error) -> {
            String line = "chain " + chain + ": " + error;
            if (!all.contains(line)) {
                all.add(line);
            }
        });
        Health health = all.isEmpty() ? Health.OK : Health.DEGRADED;
        status.publish(new AgentStatus.Snapshot(health, List.copyOf(all), List.copyOf(notices), nodeId, address, now, millis, passes, views));
    }

    private SubnodeView view(long chainId, String name, ObservedContainer c, String version, String imageId, int slot, long quota,
            long memory, long pids, String leavingUntil, String error) {
        ContainerStats stats = c != null && c.state() == ContainerState.RUNNING ? statsCache.get(c.id()) : null;
        if (stats != null && name != null) {
            gauge("flotilla.subnode.cpu.cores", name).set(stats.cpuCores());
            gauge("flotilla.subnode.memory.bytes", name).set(stats.memoryBytes());
        }
        RestartHistory history = c == null ? null : restarts.get(c.id());
        return new SubnodeView(chainId, name, c == null ? null : c.name(), c == null ? "ABSENT" : c.state().name(),
                c == null ? 0 : c.exitCode(), version, imageId, slot, quota, memory, pids, history == null ? 0 : history.attempts(),
                leavingUntil, error, stats == null ? null : stats.cpuCores(), stats == null ? null : stats.memoryBytes());
    }

    /**
     * A per-chain gauge whose value holder this reconciler keeps (and the registry holds strongly): Micrometer holds
     * gauge objects weakly by default, so a boxed value would be collected and the gauge would read NaN.
     */
    private ChainGauge gauge(String metric, String chain) {
        return chainGauges.computeIfAbsent(metric + "/" + chain, k -> {
            ChainGauge g = new ChainGauge();
            io.micrometer.core.instrument.Gauge.builder(metric, g, ChainGauge::get).tag("chain", chain).strongReference(true).register(metrics);
            return g;
        });
    }

    /** A settable gauge value. */
    private static final class ChainGauge {
        private volatile double value;

        void set(double v) {
            value = v;
        }

        double get() {
            return value;
        }
    }
}
