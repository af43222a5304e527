package io.flotilla.agent.runtime;

import java.time.Instant;
import java.util.Map;

/**
 * A container as the engine reports it.
 *
 * @param exitCode last exit code (meaningful when {@code state} is EXITED or DEAD)
 * @param startedAt when it last started, null when never
 * @param finishedAt when it last stopped, null when never
 * @param limits the CPU, memory and pids limits the engine applies now (null when unknown): a container's labels
 *     cannot change after creation, so the limits applied by an update are read back from the engine
 */
public record ObservedContainer(
        String id,
        String name,
        String imageId,
        Map<String, String> labels,
        ContainerState state,
        int exitCode,
        Instant startedAt,
        Instant finishedAt,
        ResourceLimits limits) {

    public ObservedContainer {
        labels = Map.copyOf(labels);
    }

    /** A container whose limits are not known (tests of logic that does not look at them). */
    public ObservedContainer(String id, String name, String imageId, Map<String, String> labels, ContainerState state,
            int exitCode, Instant startedAt, Instant finishedAt) {
        this(id, name, imageId, labels, state, exitCode, startedAt, finishedAt, null);
    }

    public enum ContainerState {
        CREATED,
        RUNNING,
        RESTARTING,
        PAUSED,
        EXITED,
        DEAD,
        UNKNOWN
    }
}
