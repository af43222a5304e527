package io.flotilla.manager;

/**
 * A chain member as peers reach it: its ports are {@code firstPort + offset}.
 *
 * @param address the node's (operator) address
 * @param consensusKey the address its subnodes sign consensus messages with (NodeRegistry.setConsensusKey); the zero
 *     address while the node has set none
 */
public record Member(long nodeId, String address, String ip, int basePort, int slot, int firstPort, String publicKey, String consensusKey) {

    public static final String NO_KEY = "0x0000000000000000000000000000000000000000";

    /** Whether the node has registered a consensus key. */
    public boolean hasConsensusKey() {
        return consensusKey != null && !consensusKey.equalsIgnoreCase(NO_KEY);
    }
}
