package io.flotilla.agent.plan;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * What keeps one subnode apart from the others and from its node (docs/agent.md, "Isolation"): the uid it runs as,
 * the only endpoints it may connect to, and the size of its data volume.
 *
 * @param uid the subnode's own uid (and gid): the node's uid base plus its slot, never a uid the host uses
 * @param bindIp the node's IP, where its own ports listen
 * @param firstPort the first of its 16 ports ({@code basePort + slot x 16})
 * @param peers its chain's members' consensus and catch-up endpoints (every member, itself included)
 * @param diskBytes hard size of its data volume: its units' share of the node's declared disk
 */
public record SubnodeIsolation(int uid, String bindIp, int firstPort, List<Endpoint> peers, long diskBytes) {

    /** Ports per slot: the subnode may connect to its own 16. */
    public static final int PORTS_PER_SLOT = 16;

    /** An IPv4 address and TCP port. */
    public record Endpoint(String ip, int port) {
        public Endpoint {
            Objects.requireNonNull(ip, "ip");
        }

        @Override
        public String toString() {
            return ip + ":" + port;
        }
    }

    public SubnodeIsolation {
        Objects.requireNonNull(bindIp, "bindIp");
        // Sorted and without repeats, so the fingerprint does not depend on the contracts' member order.
        peers = peers.stream().distinct()
                .sorted(java.util.Comparator.comparing(Endpoint::ip).thenComparingInt(Endpoint::port)).toList();
    }

    /** Short hash of everything the firewall rules are made of: equal fingerprints, equal rules. */
    public String firewallFingerprint() {
        String text = uid + " " + bindIp + " " + firstPort + " " + peers;
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
