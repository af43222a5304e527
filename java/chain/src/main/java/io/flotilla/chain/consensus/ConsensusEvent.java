package io.flotilla.chain.consensus;

import java.util.Objects;
import java.util.Optional;

/** Inputs to a {@link ConsensusEngine}. */
public sealed interface ConsensusEvent {

    /**
     * Begin deciding {@code height} with the members in force for it. The caller sends this once
     * at start-up and again after it has applied each committed block; the caller picks the set,
     * so validator-set changes need no consensus messages. {@code resume} is the last {@link SafetyRecord} this
     * member persisted: when it is for this very height (a restart in the middle of it), the engine continues in the
     * round after the last one it signed in, keeping its lock.
     */
    record StartHeight(long height, MemberSet members, Optional<SafetyRecord> resume) implements ConsensusEvent {
        public StartHeight {
            Objects.requireNonNull(members, "members");
            Objects.requireNonNull(resume, "resume");
            if (height < 0) throw new IllegalArgumentException("negative height");
        }

        public StartHeight(long height, MemberSet members) {
            this(height, members, Optional.empty());
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
