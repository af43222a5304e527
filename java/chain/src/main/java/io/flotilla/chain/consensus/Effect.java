package io.flotilla.chain.consensus;

import java.time.Duration;
import java.util.Objects;

/** Outputs of a {@link ConsensusEngine}; the adapter performs them, in order. */
public sealed interface Effect {

    /**
     * Write this record durably before performing the effects after it: it is what the member must remember
     * across a crash not to sign conflicting messages (see {@link SafetyRecord}). Always precedes a
     * {@link Broadcast} of a message this member signed.
     */
    record PersistSafety(SafetyRecord record) implements Effect {
        public PersistSafety {
            Objects.requireNonNull(record, "record");
        }
    }

    /** Send to every other member. The engine has already counted it for itself. */
    record Broadcast(SignedMessage message) implements Effect {
        public Broadcast {
            Objects.requireNonNull(message, "message");
        }
    }

    /**
     * Send to one member only (a vote to the leader that gathers it). Like {@link Broadcast}, the engine has already
     * counted it if it is for itself, and a {@link PersistSafety} precedes it when this member signed it.
     */
    record Send(io.flotilla.evm.types.Address to, SignedMessage message) implements Effect {
        public Send {
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(message, "message");
        }
    }

    /** Deliver {@link ConsensusEvent.TimeoutFired} after {@code after}; stale firings are harmless. */
    record ScheduleTimeout(Timeout timeout, Duration after) implements Effect {
        public ScheduleTimeout {
            Objects.requireNonNull(timeout, "timeout");
            Objects.requireNonNull(after, "after");
        }
    }

    /**
     * The block is decided. Apply it, then send {@link ConsensusEvent.StartHeight} for the next
     * height. Emitted at most once per height.
     */
    record Commit(ProposedBlock block, CommitCertificate certificate) implements Effect {
        public Commit {
            Objects.requireNonNull(block, "block");
            Objects.requireNonNull(certificate, "certificate");
        }
    }

    /** A member signed conflicting messages; keep or forward the evidence. */
    record ReportEvidence(Equivocation evidence) implements Effect {
        public ReportEvidence {
            Objects.requireNonNull(evidence, "evidence");
        }
    }
}
