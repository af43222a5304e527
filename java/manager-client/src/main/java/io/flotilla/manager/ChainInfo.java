package io.flotilla.manager;

import java.time.Instant;
import java.util.List;

/**
 * A sidechain as the manager records it.
 *
 * @param imageDigest the pinned image id, "sha256:" followed by 64 hex digits
 * @param members member node ids in member order
 */
public record ChainInfo(
        long id,
        String name,
        String owner,
        String typeName,
        int unitsPerNode,
        ChainStatus status,
        Instant createdAt,
        Instant expiresAt,
        String consensus,
        String imageVersion,
        String imageDigest,
        List<Long> members) {

    public ChainInfo {
        members = List.copyOf(members);
    }

    public enum ChainStatus {
        NONE,
        ACTIVE,
        REMOVED,
        /** Paid for; its members are drawn when its pending draw is finalized. */
        PENDING
    }
}
