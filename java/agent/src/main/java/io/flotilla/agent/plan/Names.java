package io.flotilla.agent.plan;

import java.util.Map;

/** Names and labels of what the agent creates in Docker; the labels are how it re-reads its actual state. */
public final class Names {

    public static final String LABEL_MANAGED = "io.flotilla.managed";
    public static final String LABEL_NODE = "io.flotilla.node";
    public static final String LABEL_CHAIN = "io.flotilla.chain";
    public static final String LABEL_CHAIN_NAME = "io.flotilla.chain-name";
    public static final String LABEL_IMAGE_VERSION = "io.flotilla.image-version";
    public static final String LABEL_IMAGE_ID = "io.flotilla.image-id";
    /** Hash of what needs a new process; a member-set change leaves it unchanged (docs/agent.md, "Live switch"). */
    public static final String LABEL_PROCESS_HASH = "io.flotilla.process-hash";

    private Names() {}

    public static String container(String chainName, long nodeId) {
        return "flotilla-" + chainName + "-" + nodeId;
    }

    public static String volume(String chainName, long nodeId) {
        return "flotilla-" + chainName + "-" + nodeId + "-data";
    }

    /** Labels that select everything this node's agent manages. */
    public static Map<String, String> nodeSelector(long nodeId) {
        return Map.of(LABEL_MANAGED, "true", LABEL_NODE, Long.toString(nodeId));
    }

    public static Map<String, String> volumeLabels(DesiredSubnode s) {
        return Map.of(LABEL_MANAGED, "true", LABEL_NODE, Long.toString(s.nodeId()), LABEL_CHAIN, Long.toString(s.chainId()),
                LABEL_CHAIN_NAME, s.chainName());
    }

    public static Map<String, String> containerLabels(DesiredSubnode s) {
        return Map.of(LABEL_MANAGED, "true", LABEL_NODE, Long.toString(s.nodeId()), LABEL_CHAIN, Long.toString(s.chainId()),
                LABEL_CHAIN_NAME, s.chainName(), LABEL_IMAGE_VERSION, s.imageVersion(), LABEL_IMAGE_ID, s.imageId(),
                LABEL_PROCESS_HASH, s.processHash());
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
