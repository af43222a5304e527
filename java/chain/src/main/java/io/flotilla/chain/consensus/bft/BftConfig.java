package io.flotilla.chain.consensus.bft;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of the Tendermint engine.
 *
 * @param maxHeightsAhead messages up to this many heights ahead are buffered, beyond are dropped
 * @param maxRoundsAhead messages up to this many rounds ahead of ours are kept, beyond are dropped
 *     (bounds the memory a faulty member can make us spend)
 * @param maxBufferedMessages cap on buffered future-height messages
 * @param maxBufferedPerSigner cap on buffered future-height messages of any one signer
 */
public record BftConfig(TimeoutSchedule propose, TimeoutSchedule prevote, TimeoutSchedule precommit,
                        int maxHeightsAhead, int maxRoundsAhead, int maxBufferedMessages, int maxBufferedPerSigner) {
    public BftConfig {
        Objects.requireNonNull(propose, "propose");
        Objects.requireNonNull(prevote, "prevote");
        Objects.requireNonNull(precommit, "precommit");
        if (maxHeightsAhead < 1 || maxRoundsAhead < 1 || maxBufferedMessages < 0 || maxBufferedPerSigner < 0) {
            throw new IllegalArgumentException("windows must be positive");
        }
    }

    public static BftConfig defaults() {
        return withTimeouts(Duration.ofSeconds(3), Duration.ofMillis(500));
    }

    /** The same base and per-round delta for all three steps. */
    public static BftConfig withTimeouts(Duration base, Duration delta) {
        TimeoutSchedule t = new TimeoutSchedule(base, delta);
        return new BftConfig(t, t, t, 2, 1000, 10_000, 500);
    }
}
