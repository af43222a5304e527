package io.flotilla.agent.plan;

import io.flotilla.agent.runtime.ResourceLimits;

/**
 * One subnode this node should run, as the manager contracts say.
 *
 * @param slot this node's port slot for the chain (ports basePort + slot x 16 + offset)
 * @param imageId the pinned image, "sha256:..." from the image registry
 * @param configJson the subnode's config file, rendered
 * @param configHash short hash of {@code configJson}; a change means the subnode must restart with the new config
 */
public record DesiredSubnode(
        long chainId,
        String chainName,
        long nodeId,
        int slot,
        String imageVersion,
        String imageId,
        ResourceLimits limits,
        String configJson,
        String configHash) {

    public String containerName() {
        return Names.container(chainName, nodeId);
    }

    public String volumeName() {
        return Names.volume(chainName, nodeId);
    }
}
