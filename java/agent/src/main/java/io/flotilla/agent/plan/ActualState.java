package io.flotilla.agent.plan;

import io.flotilla.agent.runtime.ObservedContainer;
import io.flotilla.agent.runtime.ObservedVolume;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What runs on this node, read from Docker, plus what the agent remembers between passes.
 *
 * @param containers containers labelled with this node's id
 * @param volumes volumes labelled with this node's id
 * @param localImageIds ids of the pinned images present locally
 * @param restarts restart history per container id (attempts since it last ran stably, time of the last attempt)
 * @param orphanedSince when each volume whose chain left this node was first seen orphaned
 * @param configHashes per chain, the hash of the config file on disk now (absent when there is none)
 */
public record ActualState(
        List<ObservedContainer> containers,
        List<ObservedVolume> volumes,
        Set<String> localImageIds,
        Map<String, RestartHistory> restarts,
        Map<String, Instant> orphanedSince,
        Map<Long, String> configHashes) {

    public ActualState(List<ObservedContainer> containers, List<ObservedVolume> volumes, Set<String> localImageIds,
            Map<String, RestartHistory> restarts, Map<String, Instant> orphanedSince) {
        this(containers, volumes, localImageIds, restarts, orphanedSince, Map.of());
    }

    public ActualState {
        containers = List.copyOf(containers);
        volumes = List.copyOf(volumes);
        localImageIds = Set.copyOf(localImageIds);
        restarts = Map.copyOf(restarts);
        orphanedSince = Map.copyOf(orphanedSince);
        configHashes = Map.copyOf(configHashes);
    }

    public record RestartHistory(int attempts, Instant lastAttemptAt) {}
}
