package io.flotilla.manager;

import java.time.Instant;

/** One member replacement of a chain; the leaving subnode serves until {@code finishAt}. */
public record Rotation(long chainId, long leavingNode, long joiningNode, Instant startedAt, Instant finishAt, Reason reason) {

    public enum Reason {
        NODE_EXIT,
        PERIODIC,
        LIVENESS
    }
}
