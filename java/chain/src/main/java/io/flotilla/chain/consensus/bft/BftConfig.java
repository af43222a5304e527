package io.flotilla.chain.consensus.bft;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of the Tendermint engine. The windows bound what a faulty member can make us keep (see docs/chain.md,
 * "Bounded consensus inputs").
 *
 * @param maxHeightsAhead messages up to this many heights ahead are buffered, beyond are dropped
 * @param maxRoundsAhead messages up to this many rounds ahead of ours are kept; beyond (up to
 *     {@link TendermintEngine#ROUND_HINT_HORIZON}) only the signer's round is noted, for the f+1 round skip
 * @param maxBufferedMessages cap on buffered future-height messages in total
 * @param maxBufferedPerSigner cap on buffered future-height votes of any one member
 * @param maxProposalBytes the largest block payload a proposal may carry (the chain's block size limit)
 */
public record BftConfig(TimeoutSchedule propose, TimeoutSchedule prevote, TimeoutSchedule precommit,
                        int maxHeightsAhead, int maxRoundsAhead, int maxBufferedMessages, int maxBufferedPerSigner,
                        int maxProposalBytes) {
    /** The chain's default block size limit (ChainConfig.DEFAULT_MAX_BLOCK_BYTES). */
    public static final int DEFAULT_MAX_PROPOSAL_BYTES = 2 * 1024 * 1024;

    public BftConfig {
        Objects.requireNonNull(propose, "propose");
        Objects.requireNonNull(prevote, "prevote");
        Objects.requireNonNull(precommit, "precommit");
        if (maxHeightsAhead < 1 || maxRoundsAhead < 1 || maxBufferedMessages < 0 || maxBufferedPerSigner < 0
                || maxProposalBytes < 1) {
            throw new IllegalArgumentException("windows must be positive");
        }
    }

    public BftConfig(TimeoutSchedule propose, TimeoutSchedule prevote, TimeoutSchedule precommit,
                     int maxHeightsAhead, int maxRoundsAhead, int maxBufferedMessages, int maxBufferedPerSigner) {
        this(propose, prevote, precommit, maxHeightsAhead, maxRoundsAhead, maxBufferedMessages, maxBufferedPerSigner,
                DEFAULT_MAX_PROPOSAL_BYTES);
    }

    public static BftConfig defaults() {
        return withTimeouts(Duration.ofSeconds(3), Duration.ofMillis(500));
    }

    /**
     * The same base and per-round delta for all three steps; 2 heights and 3 rounds ahead; 16 buffered future votes
     * per member (2 heights x 4 rounds x prevote and precommit), 2 MiB proposals.
     */
    public static BftConfig withTimeouts(Duration base, Duration delta) {
        TimeoutSchedule t = new TimeoutSchedule(base, delta);
        return new BftConfig(t, t, t, 2, 3, 10_000, 16, DEFAULT_MAX_PROPOSAL_BYTES);
    }

    /** This config with the chain's block size limit. */
    public BftConfig withMaxProposalBytes(int bytes) {
        return new BftConfig(propose, prevote, precommit, maxHeightsAhead, maxRoundsAhead, maxBufferedMessages,
                maxBufferedPerSigner, bytes);
    }
}
