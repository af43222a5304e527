package io.flotilla.evm.tx;

/** Either the transaction was included (with a receipt) or rejected before touching state. */
public sealed interface TxOutcome {
    record Included(Receipt receipt) implements TxOutcome {
    }

    record Rejected(TxRejection reason, String detail) implements TxOutcome {
    }
}
