package io.flotilla.chain.consensus;

import java.util.Objects;

/** Inputs to a {@link ConsensusEngine}. */
public sealed interface ConsensusEvent {

    /**
     * Begin deciding {@code height} with the members in force for it. The caller sends this once
     * at start-up and again after it has applied each committed block; the caller picks the set,
     * so validator-set changes need no consensus messages.
     */
    record StartHeight(long height, MemberSet members) implements ConsensusEvent {
        public StartHeight {
            Objects.requireNonNull(members, "members");
            if (height < 0) throw new IllegalArgumentException("negative height");
        }
    }

    /** A message from the network, not yet verified. */
    record MessageReceived(SignedMessage message) implements ConsensusEvent {
        public MessageReceived {
            Objects.requireNonNull(message, "message");
        }
    }

    /** A timeout the engine scheduled earlier has fired. */
    record TimeoutFired(Timeout timeout) implements ConsensusEvent {
        public TimeoutFired {
            Objects.requireNonNull(timeout, "timeout");
        }
    }

    /** The application now has a block to propose at {@code height} (e.g. the mempool filled). */
    record BlockAvailable(long height) implements ConsensusEvent {
    }
}
