package io.flotilla.chain.execution;

import io.flotilla.evm.tx.TxRejection;
import io.flotilla.evm.vm.HaltReason;

/** The result of a simulated call. */
public sealed interface CallOutcome {
    long gasUsed();

    record Success(byte[] output, long gasUsed) implements CallOutcome {
    }

    /** REVERT: {@code data} is the revert payload (e.g. Error(string) ABI encoding). */
    record Reverted(byte[] data, long gasUsed) implements CallOutcome {
    }

    /** Exceptional halt (out of gas, invalid opcode, ...): no data, all gas consumed. */
    record Halted(HaltReason reason, long gasUsed) implements CallOutcome {
    }

    /** The call ran longer than the node allows one call to run, and was aborted. */
    record TimedOut() implements CallOutcome {
        @Override
        public long gasUsed() {
            return 0;
        }
    }

    /** The call could not even start (insufficient funds for value, gas above the block limit, ...). */
    record Invalid(TxRejection reason, String detail) implements CallOutcome {
        @Override
        public long gasUsed() {
            return 0;
        }
    }
}
