package io.flotilla.chain.consensus;

import java.util.Objects;
import java.util.Optional;

/** The three Tendermint messages, unsigned. Wrap in {@link SignedMessage} to send. */
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
}
