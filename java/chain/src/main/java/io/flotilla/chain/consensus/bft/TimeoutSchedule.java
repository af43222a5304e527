package io.flotilla.chain.consensus.bft;

import java.time.Duration;
import java.util.Objects;

/** base + delta * round: growing timeouts let a round eventually outlast any unknown network delay. */
public record TimeoutSchedule(Duration base, Duration delta) {
    public TimeoutSchedule {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(delta, "delta");
        if (base.isNegative() || delta.isNegative()) throw new IllegalArgumentException("negative timeout");
    }

    public Duration forRound(int round) {
        return base.plus(delta.multipliedBy(round));
    }
}
