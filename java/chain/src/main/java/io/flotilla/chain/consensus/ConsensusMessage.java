package io.flotilla.chain.consensus;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Consensus messages, unsigned; wrap in {@link SignedMessage} to send. Proposal, Prevote and Precommit are Tendermint's
 * (and the HotStuff engine's proposal and two votes); {@link Certificate} and {@link NewRound} are only sent by the
 * HotStuff engine, whose leader gathers votes and hands out the quorum as one message.
 */
public sealed interface ConsensusMessage {
    long height();

    int round();

    /** PROPOSAL(h, r, block, validRound); validRound is -1 for a fresh block. */
    record Proposal(long height, int round, ProposedBlock block, int validRound) implements ConsensusMessage {
        public Proposal {
            Objects.requireNonNull(block, "block");
        }
    }

    /** A vote for a block hash or for nil (empty). */
    sealed interface Vote extends ConsensusMessage {
        Optional<BlockHash> value();

        Step step();
    }

    record Prevote(long height, int round, Optional<BlockHash> value) implements Vote {
        public Prevote {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public Step step() {
            return Step.PREVOTE;
        }
    }

    record Precommit(long height, int round, Optional<BlockHash> value) implements Vote {
        public Precommit {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public Step step() {
            return Step.PRECOMMIT;
        }
    }

    /**
     * A quorum of votes of one {@code step} for {@code blockHash} at (height, round), gathered by the round's leader and
     * sent on as one message: the HotStuff engine's prepare certificate (PREVOTE) and commit certificate (PRECOMMIT).
     * Self-verifying: every signature is a member's vote; the relaying sender's own signature only says who sent it.
     */
    record Certificate(long height, int round, Step step, BlockHash blockHash, List<Signature> signatures)
            implements ConsensusMessage {
        public Certificate {
            Objects.requireNonNull(step, "step");
            Objects.requireNonNull(blockHash, "blockHash");
            if (step == Step.PROPOSE) throw new IllegalArgumentException("a certificate is of prevotes or precommits");
            signatures = List.copyOf(signatures);
        }

        /** The vote each signature must have signed. */
        public Vote vote() {
            return step == Step.PREVOTE ? new Prevote(height, round, Optional.of(blockHash))
                    : new Precommit(height, round, Optional.of(blockHash));
        }
    }

    /** "I gave up on round - 1 and am now in {@code round}": the HotStuff engine's view change, sent to every member. */
    record NewRound(long height, int round) implements ConsensusMessage {
    }
}
