package io.flotilla.manager;

/** A node as the node registry records it; {@code ip} is dotted IPv4, {@code publicKey} 0x-hex (64 bytes). */
public record NodeInfo(
        long id,
        String name,
        String ip,
        int basePort,
        String address,
        long validatorId,
        String publicKey,
        String domain,
        int cpuMillicores,
        long memoryMiB,
        long diskGiB,
        NodeStatus status,
        boolean incompliant,
        int freeUnits) {}
