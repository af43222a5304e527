package io.flotilla.chain.execution;

import io.flotilla.chain.storage.TxReceipt;
import io.flotilla.evm.tx.TxRejection;

/** What happened when a block under construction was offered one more transaction. */
public sealed interface TxApplyResult {
    record Included(TxReceipt receipt) implements TxApplyResult {
    }

    /** The transaction's gas limit exceeds what is left in the block; it may fit in a later block. */
    record DoesNotFit(long gasLimit, long gasRemaining) implements TxApplyResult {
    }

    /** The EVM refused it (nonce, funds, fee cap, ...); it did not touch the state. */
    record Rejected(TxRejection reason, String detail) implements TxApplyResult {
    }
}
