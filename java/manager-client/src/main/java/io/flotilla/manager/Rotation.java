package io.flotilla.manager;

import java.time.Instant;

/** One member replacement of a chain; the leaving subnode serves until {@code finishAt}. */
public record Rotation(long chainId, long leavingNode, long joiningNode, Instant startedAt, Instant finishAt, Reason reason) {

    public enum Reason {
        NODE_EXIT,
        PERIODIC,
        LIVENESS,
        /** A resize changed the member set: a member added (leaving 0), removed (joining 0) or replaced. */
        RESIZE
    }
}
