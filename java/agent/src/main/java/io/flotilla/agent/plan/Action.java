package io.flotilla.agent.plan;

/** One step that brings the node closer to its desired state. Every step is idempotent. */
public sealed interface Action {

    long chainId();

    /** A short name for metrics and logs. */
    default String kind() {
        return getClass().getSimpleName();
    }

    record CreateVolume(long chainId, DesiredSubnode subnode) implements Action {}

    /** Writes the subnode's config directory (config file and key) when its content differs. */
    record WriteConfig(long chainId, DesiredSubnode subnode) implements Action {}

    /** Creates and starts the subnode container. */
    record CreateContainer(long chainId, DesiredSubnode subnode) implements Action {}

    /**
     * Starts a created container. {@code subnode} is what it should run (null for a chain that is leaving): when Docker
     * refuses the start because it still holds a stale task for the container, the executor replaces the container.
     */
    record StartContainer(long chainId, String containerId, DesiredSubnode subnode) implements Action {}

    /**
     * Starts an exited container again; {@code attempt} counts restarts since it last ran stably. {@code subnode} as
     * in {@link StartContainer}.
     */
    record RestartContainer(long chainId, String containerId, int attempt, int exitCode, DesiredSubnode subnode)
            implements Action {}

    /**
     * Replaces a container whose image or process config changed; the data volume is kept. When the container runs
     * ({@code running}), the executor first checks that the chain's other members are finalizing, so no two members
     * of a chain restart at once. {@code previous}: for a move to a new pinned image, the image it replaces (the new
     * container is labelled with it, and rolled back to it when the new one does not finalize); null otherwise.
     * {@code rollback}: this puts the container back on its previous image after the new one did not finalize; it
     * serves nobody meanwhile, so it does not wait for the restart gate.
     */
    record RecreateContainer(long chainId, String containerId, DesiredSubnode subnode, String reason, boolean running,
            ImageRef previous, boolean rollback) implements Action {

        public RecreateContainer(long chainId, String containerId, DesiredSubnode subnode, String reason, boolean running) {
            this(chainId, containerId, subnode, reason, running, null, false);
        }
    }

    /** An image version and its id ("sha256:..."). */
    record ImageRef(String version, String id) {}

    /**
     * Changes a container's CPU, memory and pids limits in place ({@code docker update}), without a restart: the chain
     * was resized to another number of units per node. {@code from} is what the engine reported.
     */
    record UpdateResources(long chainId, String containerId, io.flotilla.agent.runtime.ResourceLimits limits,
            io.flotilla.agent.runtime.ResourceLimits from) implements Action {}

    record RemoveContainer(long chainId, String containerId, String reason) implements Action {}

    /** Deletes a chain's data volume once the chain has been gone from this node for the grace period. */
    record RemoveVolume(long chainId, String volume) implements Action {}

    /** The pinned image is not on this node: nothing else is run in its place. */
    record RefuseImage(long chainId, String imageVersion, String imageId, String reason) implements Action {}

    /**
     * Installs (or atomically rebuilds) the subnode's firewall chain: what its uid may connect to. Comes before the
     * chain's container steps, so no container starts without its rules (docs/agent.md, "Isolation"). {@code staleUids}:
     * other uids the kernel's map sends to the slot (a changed uid base), removed in the same transaction.
     */
    record ApplyFirewall(long chainId, DesiredSubnode subnode, java.util.Set<Integer> staleUids) implements Action {}

    /** Removes the firewall chain of a slot whose subnode is gone (after its container is removed). */
    record RemoveFirewall(long chainId, int slot, java.util.Set<Integer> uids) implements Action {}
}
