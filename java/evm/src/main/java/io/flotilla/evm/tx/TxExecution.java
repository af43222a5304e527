package io.flotilla.evm.tx;

import io.flotilla.evm.vm.HaltReason;

/**
 * A transaction outcome plus the top-level frame's output (return data, or revert data when it reverted) and
 * why it halted ({@code null} on success or when the transaction was rejected before execution).
 */
public record TxExecution(TxOutcome outcome, byte[] output, HaltReason halt) {
}
