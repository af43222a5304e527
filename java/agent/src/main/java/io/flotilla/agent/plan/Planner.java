package io.flotilla.agent.plan;

import io.flotilla.agent.plan.Action.CreateContainer;
import io.flotilla.agent.plan.Action.CreateVolume;
import io.flotilla.agent.plan.Action.RecreateContainer;
import io.flotilla.agent.plan.Action.RefuseImage;
import io.flotilla.agent.plan.Action.RemoveContainer;
import io.flotilla.agent.plan.Action.RemoveVolume;
import io.flotilla.agent.plan.Action.RestartContainer;
import io.flotilla.agent.plan.Action.StartContainer;
import io.flotilla.agent.plan.Action.UpdateResources;
import io.flotilla.agent.plan.Action.WriteConfig;
import io.flotilla.agent.runtime.ObservedContainer;
import io.flotilla.agent.runtime.ObservedContainer.ContainerState;
import io.flotilla.agent.runtime.ObservedVolume;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Diffs desired against actual state into actions. Pure: no I/O, the same inputs give the same plan, so it can
 * be tested as a table and re-run after a crash at any point.
 */
public final class Planner {

    /** Timing rules of the plan. */
    public record Policy(Duration restartBaseDelay, Duration restartMaxDelay, Duration volumeGracePeriod) {

        public static Policy defaults() {
            return new Policy(Duration.ofSeconds(1), Duration.ofMinutes(2), Duration.ofHours(24));
        }

        /** Delay before restart attempt {@code attempt + 1}: base x 2^attempt, capped. */
        Duration backoff(int attempt) {
            Duration delay = restartBaseDelay.multipliedBy(1L << Math.min(attempt, 20));
            return delay.compareTo(restartMaxDelay) > 0 ? restartMaxDelay : delay;
        }
    }

    private final Policy policy;

    public Planner(Policy policy) {
        this.policy = policy;
    }

    public List<Action> plan(DesiredState desired, ActualState actual, Instant now) {
        List<Action> actions = new ArrayList<>();
        Map<Long, List<ObservedContainer>> containersByChain = actual.containers().stream()
                .sorted(Comparator.comparing(ObservedContainer::name).thenComparing(ObservedContainer::id))
                .collect(Collectors.groupingBy(c -> Names.chainOf(c.labels())));
        Set<String> volumes = actual.volumes().stream().map(ObservedVolume::name).collect(Collectors.toSet());
        Map<Long, DesiredSubnode> desiredByChain = new HashMap<>();
        desired.subnodes().forEach(s -> desiredByChain.put(s.chainId(), s));

        for (DesiredSubnode subnode : desired.subnodes()) {
            List<ObservedContainer> existing = containersByChain.getOrDefault(subnode.chainId(), List.of());
            ObservedContainer current = pickCurrent(existing, subnode);
            for (ObservedContainer extra : existing) {
                if (extra != current) {
                    actions.add(new RemoveContainer(subnode.chainId(), extra.id(), "duplicate container for the chain"));
                }
            }
            if (!actual.localImageIds().contains(subnode.imageId())) {
                // Never run anything but the pinned image; a running older version is left as it is.
                actions.add(new RefuseImage(subnode.chainId(), subnode.imageVersion(), subnode.imageId(),
                        "image " + subnode.imageVersion() + " (" + subnode.imageId() + ") is not present on this node"));
                continue;
            }
            if (!volumes.contains(subnode.volumeName())) {
                actions.add(new CreateVolume(subnode.chainId(), subnode));
            }
            if (current == null) {
                actions.add(new WriteConfig(subnode.chainId(), subnode));
                actions.add(new CreateContainer(subnode.chainId(), subnode));
                continue;
            }
            String reason = changeReason(current, subnode);
            if (reason != null) {
                String currentImage = current.labels().get(Names.LABEL_IMAGE_ID);
                Action.ImageRef previous = null;
                boolean rollback = subnode.rollbackOf() != null && subnode.rollbackOf().equals(currentImage);
                if (rollback) {
                    reason = "image " + current.labels().get(Names.LABEL_IMAGE_VERSION) + " did not finalize here; rolling back to "
                            + subnode.imageVersion();
                } else if (currentImage != null && !currentImage.equals(subnode.imageId())) {
                    // A move to a new pinned image: the new container remembers what it replaced, to roll back to it.
                    previous = new Action.ImageRef(current.labels().get(Names.LABEL_IMAGE_VERSION), currentImage);
                }
                actions.add(new WriteConfig(subnode.chainId(), subnode));
                actions.add(new RecreateContainer(subnode.chainId(), current.id(), subnode, reason,
                        current.state() == ContainerState.RUNNING, previous, rollback));
                continue;
            }
            if (current.limits() != null && !current.limits().equals(subnode.limits())) {
                // The chain's units changed (a resize): Docker changes CPU, memory and pids of a container in place.
                actions.add(new UpdateResources(subnode.chainId(), current.id(), subnode.limits(), current.limits()));
            }
            if (!subnode.configHash().equals(actual.configHashes().get(subnode.chainId()))) {
                // A live field changed (the member set): the running subnode reads the new file, no restart.
                actions.add(new WriteConfig(subnode.chainId(), subnode));
            }
            planLiveness(current, subnode.chainId(), subnode, actual, now, actions);
        }

        for (Map.Entry<Long, List<ObservedContainer>> entry : containersByChain.entrySet()) {
            long chainId = entry.getKey();
            if (desiredByChain.containsKey(chainId) || chainId < 0 || desired.strayChains().contains(chainId)) {
                continue; // a stray container (unknown or malformed chain label) is reported, never touched
            }
            Instant leaveAt = desired.leavingUntil().get(chainId);
            for (ObservedContainer container : entry.getValue()) {
                if (leaveAt != null && now.isBefore(leaveAt)) {
                    planLiveness(container, chainId, null, actual, now, actions); // keeps serving until finishAt
                } else {
                    actions.add(new RemoveContainer(chainId, container.id(),
                            leaveAt != null ? "rotated out; serving ended at " + leaveAt : "chain no longer assigned to this node"));
                }
            }
        }

        for (ObservedVolume volume : actual.volumes()) {
            Instant since = actual.orphanedSince().get(volume.name());
            if (isOrphaned(volume, desired, actual) && since != null && !now.isBefore(since.plus(policy.volumeGracePeriod()))) {
                actions.add(new RemoveVolume(Names.chainOf(volume.labels()), volume.name()));
            }
        }
        return actions;
    }

    /**
     * Whether {@code volume} belongs to a chain that has left this node: not desired, not leaving, and no container
     * of the chain is left. The agent starts the grace period when it first sees a volume orphaned.
     */
    public static boolean isOrphaned(ObservedVolume volume, DesiredState desired, ActualState actual) {
        long chainId = Names.chainOf(volume.labels());
        if (chainId < 0 || desired.strayChains().contains(chainId)) {
            return false;
        }
        return desired.subnodes().stream().noneMatch(s -> s.chainId() == chainId)
                && !desired.leavingUntil().containsKey(chainId)
                && actual.containers().stream().noneMatch(c -> Names.chainOf(c.labels()) == chainId);
    }

    /** The container to keep among several for one chain: the one with the desired name, else the first. */
    private static ObservedContainer pickCurrent(List<ObservedContainer> existing, DesiredSubnode subnode) {
        return existing.stream()
                .filter(c -> c.name().equals(subnode.containerName()))
                .findFirst()
                .orElse(existing.isEmpty() ? null : existing.get(0));
    }

    private static String changeReason(ObservedContainer current, DesiredSubnode subnode) {
        if (!subnode.imageId().equals(current.labels().get(Names.LABEL_IMAGE_ID))) {
            return "image changed to " + subnode.imageVersion();
        }
        if (!subnode.processHash().equals(current.labels().get(Names.LABEL_PROCESS_HASH))) {
            return "process config changed (ports, keys, uid, chain or genesis)";
        }
        if (!subnode.containerName().equals(current.name())) {
            return "unexpected container name " + current.name();
        }
        return null;
    }

    private void planLiveness(ObservedContainer container, long chainId, DesiredSubnode subnode, ActualState actual, Instant now, List<Action> actions) {
        ContainerState state = container.state();
        if (state == ContainerState.CREATED) {
            actions.add(new StartContainer(chainId, container.id(), subnode));
        } else if (state == ContainerState.EXITED || state == ContainerState.DEAD) {
            // Any exit code, 0 included, is a stop the subnode did not ask the agent for.
            ActualState.RestartHistory history = actual.restarts().get(container.id());
            int attempts = history == null ? 0 : history.attempts();
            Instant last = history == null ? Instant.EPOCH : history.lastAttemptAt();
            if (!now.isBefore(last.plus(policy.backoff(attempts)))) {
                actions.add(new RestartContainer(chainId, container.id(), attempts + 1, container.exitCode(), subnode));
            }
        }
    }
}
