package io.flotilla.agent.plan;

import io.flotilla.agent.runtime.ResourceLimits;

/**
 * One subnode this node should run, as the manager contracts say.
 *
 * @param network the network identity (names and labels carry it, see {@link Names})
 * @param slot this node's port slot for the chain (ports basePort + slot x 16 + offset)
 * @param imageId the pinned image, "sha256:..." from the image registry
 * @param configJson the subnode's config file, rendered
 * @param configHash short hash of {@code configJson}: the file on disk must hash to it (a change is written live)
 * @param processHash short hash of what needs a new process (image, ports, keys, uid, chain id, genesis...); a
 *     change recreates the container, which is labelled with it. Not the limits: those are changed in place
 *     ({@link Action.UpdateResources})
 * @param isolation its uid, the endpoints it may reach and its disk quota (null only in tests of unrelated logic)
 * @param rollbackOf null, or the pinned image id that did not finalize on this node: this subnode then runs its
 *     previous image instead ({@code imageVersion}, {@code imageId}) and is labelled with the failed one
 */
public record DesiredSubnode(
        String network,
        long chainId,
        String chainName,
        long nodeId,
        int slot,
        String imageVersion,
        String imageId,
        ResourceLimits limits,
        String configJson,
        String configHash,
        String processHash,
        SubnodeIsolation isolation,
        String rollbackOf) {

    public DesiredSubnode(String network, long chainId, String chainName, long nodeId, int slot, String imageVersion, String imageId,
            ResourceLimits limits, String configJson, String configHash, String processHash, SubnodeIsolation isolation) {
        this(network, chainId, chainName, nodeId, slot, imageVersion, imageId, limits, configJson, configHash, processHash, isolation, null);
    }

    /** A subnode without isolation data, for tests of logic that does not look at it. */
    public DesiredSubnode(String network, long chainId, String chainName, long nodeId, int slot, String imageVersion, String imageId,
            ResourceLimits limits, String configJson, String configHash, String processHash) {
        this(network, chainId, chainName, nodeId, slot, imageVersion, imageId, limits, configJson, configHash, processHash, null);
    }

    public String containerName() {
        return Names.container(network, chainName, nodeId);
    }

    public String volumeName() {
        return Names.volume(network, chainName, nodeId);
    }
}
