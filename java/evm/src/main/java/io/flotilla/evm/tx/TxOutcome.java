package io.flotilla.evm.tx;

/**
 * Either the transaction was included (with a receipt) or rejected; a rejected transaction leaves the world
 * state exactly as it was (most are rejected before touching it, {@link TxRejection#EXECUTION_FAILED} after
 * rolling back).
 */
public sealed interface TxOutcome {
    record Included(Receipt receipt) implements TxOutcome {
    }

    record Rejected(TxRejection reason, String detail) implements TxOutcome {
    }
}
