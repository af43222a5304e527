package io.flotilla.subnode.config;

/**
 * One member of the chain.
 *
 * @param nodeId the node's id on the manager contracts
 * @param address the address whose signatures count as this member's votes, its node's consensus key (0x and 40 hex
 *     digits, kept lower case)
 * @param ip the IPv4 address its subnodes listen on
 * @param ports the ports of its subnode for this chain
 */
public record Member(long nodeId, String address, String ip, Ports ports) {

    public Member {
        Check.nonNegative("nodeId", nodeId);
        address = Check.address("address", address);
        Check.ipv4("ip", ip);
        Check.notNull("ports", ports);
    }
}
