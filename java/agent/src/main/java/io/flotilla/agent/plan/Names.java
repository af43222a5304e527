package io.flotilla.agent.plan;

import java.util.Map;

/**
 * Names and labels of what the agent creates in Docker; the labels are how it re-reads its actual state. Every name,
 * label set and selector carries the network identity ({@code AddressBook#networkId}), so agents of two Flotilla
 * networks on one Docker engine never see, let alone touch, each other's containers and volumes.
 */
public final class Names {

    public static final String LABEL_MANAGED = "io.flotilla.managed";
    /** The network identity: Ethereum chain id, manager address and deployment block, hashed (8 hex digits). */
    public static final String LABEL_NETWORK = "io.flotilla.network";
    public static final String LABEL_NODE = "io.flotilla.node";
    public static final String LABEL_CHAIN = "io.flotilla.chain";
    public static final String LABEL_CHAIN_NAME = "io.flotilla.chain-name";
    public static final String LABEL_IMAGE_VERSION = "io.flotilla.image-version";
    public static final String LABEL_IMAGE_ID = "io.flotilla.image-id";
    /** Hash of what needs a new process; a member-set change leaves it unchanged (docs/agent.md, "Live switch"). */
    public static final String LABEL_PROCESS_HASH = "io.flotilla.process-hash";
    /** On a container recreated for a new image: the image it replaced (docs/agent.md, "Image rollout"). */
    public static final String LABEL_PREVIOUS_IMAGE_VERSION = "io.flotilla.previous-image-version";
    public static final String LABEL_PREVIOUS_IMAGE_ID = "io.flotilla.previous-image-id";
    /** When that container was created (ISO-8601): the rollback grace period counts from it, across restarts. */
    public static final String LABEL_ROLLOUT_AT = "io.flotilla.rollout-at";
    /** On a container rolled back to its previous image: the pinned image that did not finalize on this node. */
    public static final String LABEL_ROLLBACK_OF = "io.flotilla.rollback-of";

    private Names() {}

    /** flotilla-NETWORK-CHAIN-NODE, e.g. flotilla-1a2b3c4d-alpha-3. */
    public static String container(String network, String chainName, long nodeId) {
        return "flotilla-" + network + "-" + chainName + "-" + nodeId;
    }

    public static String volume(String network, String chainName, long nodeId) {
        return container(network, chainName, nodeId) + "-data";
    }

    /** Labels that select everything the agents of {@code network} manage on this engine. */
    public static Map<String, String> networkSelector(String network) {
        return Map.of(LABEL_MANAGED, "true", LABEL_NETWORK, network);
    }

    /** Labels that select everything this node's agent manages. */
    public static Map<String, String> nodeSelector(String network, long nodeId) {
        return Map.of(LABEL_MANAGED, "true", LABEL_NETWORK, network, LABEL_NODE, Long.toString(nodeId));
    }

    public static Map<String, String> volumeLabels(DesiredSubnode s) {
        return Map.of(LABEL_MANAGED, "true", LABEL_NETWORK, s.network(), LABEL_NODE, Long.toString(s.nodeId()), LABEL_CHAIN,
                Long.toString(s.chainId()), LABEL_CHAIN_NAME, s.chainName());
    }

    public static Map<String, String> containerLabels(DesiredSubnode s) {
        Map<String, String> labels = new java.util.HashMap<>(baseLabels(s));
        if (s.rollbackOf() != null) {
            labels.put(LABEL_ROLLBACK_OF, s.rollbackOf());
        }
        return Map.copyOf(labels);
    }

    private static Map<String, String> baseLabels(DesiredSubnode s) {
        return Map.ofEntries(Map.entry(LABEL_MANAGED, "true"), Map.entry(LABEL_NETWORK, s.network()),
                Map.entry(LABEL_NODE, Long.toString(s.nodeId())), Map.entry(LABEL_CHAIN, Long.toString(s.chainId())),
                Map.entry(LABEL_CHAIN_NAME, s.chainName()), Map.entry(LABEL_IMAGE_VERSION, s.imageVersion()),
                Map.entry(LABEL_IMAGE_ID, s.imageId()), Map.entry(LABEL_PROCESS_HASH, s.processHash()));
    }

    /** The chain id a container or volume is labelled with, -1 when the label is missing or malformed. */
    public static long chainOf(Map<String, String> labels) {
        try {
            return Long.parseLong(labels.getOrDefault(LABEL_CHAIN, "-1"));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
