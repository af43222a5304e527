package io.flotilla.agent.status;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/** What the agent knows about itself, for the REST API and health: thread-safe, replaced after every pass. */
public final class AgentStatus {

    /**
     * Overall state: OK when the last pass read both the contracts and Docker and applied its plan, and no subnode is
     * crash-looping or refused; DEGRADED otherwise (served as DOWN, HTTP 503, by /actuator/health).
     */
    public enum Health {
        STARTING,
        OK,
        DEGRADED
    }

    /** One subnode as the last pass saw it. */
    public record SubnodeView(
            long chainId,
            String chainName,
            String container,
            String state,
            int exitCode,
            String imageVersion,
            String imageId,
            int slot,
            long cpuQuotaMicros,
            long memoryBytes,
            long pidsLimit,
            int restarts,
            String leavingUntil,
            String error,
            Double cpuCores,
            Long memoryUsedBytes) {}

    /** A snapshot of the node. */
    public record Snapshot(
            Health health,
            List<String> problems,
            List<String> notices,
            Long nodeId,
            String nodeAddress,
            Instant lastReconcileAt,
            long lastReconcileMillis,
            long passes,
            List<SubnodeView> subnodes) {}

    private final AtomicReference<Snapshot> current =
            new AtomicReference<>(new Snapshot(Health.STARTING, List.of(), List.of(), null, null, null, 0, 0, List.of()));
    private final Map<Long, String> errors = new ConcurrentHashMap<>();
    private final Map<String, String> tasks = new ConcurrentHashMap<>();
    private final Map<Long, String> notices = new ConcurrentHashMap<>();

    public Snapshot snapshot() {
        return current.get();
    }

    public void publish(Snapshot snapshot) {
        current.set(snapshot);
    }

    /** Marks the agent degraded, keeping the last known subnodes. */
    public void degraded(String problem) {
        current.updateAndGet(s -> new Snapshot(Health.DEGRADED, List.of(problem), s.notices(), s.nodeId(), s.nodeAddress(), s.lastReconcileAt(),
                s.lastReconcileMillis(), s.passes(), s.subnodes()));
    }

    public void chainError(long chainId, String error) {
        errors.put(chainId, error);
    }

    public void clearChainError(long chainId) {
        errors.remove(chainId);
    }

    public Map<Long, String> chainErrors() {
        return Map.copyOf(errors);
    }

    /** Something about a chain worth showing that is not a failure (a restart waiting for its turn). */
    public void chainNotice(long chainId, String notice) {
        notices.put(chainId, notice);
    }

    public void clearChainNotice(long chainId) {
        notices.remove(chainId);
    }

    public Map<Long, String> chainNotices() {
        return Map.copyOf(notices);
    }

    /** One of the agent's independent tasks (events, reconcile, docker events...) keeps failing. */
    public void taskFailing(String task, String problem) {
        tasks.put(task, problem);
    }

    public void taskRecovered(String task) {
        tasks.remove(task);
    }

    /** Failing tasks with their last error. */
    public Map<String, String> taskProblems() {
        return Map.copyOf(tasks);
    }
}
