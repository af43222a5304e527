package io.flotilla.agent.runtime;

import java.time.Instant;
import java.util.Map;

/**
 * A container as the engine reports it.
 *
 * @param exitCode last exit code (meaningful when {@code state} is EXITED or DEAD)
 * @param startedAt when it last started, null when never
 * @param finishedAt when it last stopped, null when never
 */
public record ObservedContainer(
        String id,
        String name,
        String imageId,
        Map<String, String> labels,
        ContainerState state,
        int exitCode,
        Instant startedAt,
        Instant finishedAt) {

    public ObservedContainer {
        labels = Map.copyOf(labels);
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
