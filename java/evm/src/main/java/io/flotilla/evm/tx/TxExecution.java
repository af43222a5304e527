package io.flotilla.evm.tx;

/** A transaction outcome plus the top-level frame's output (return data, or revert data when it failed). */
public record TxExecution(TxOutcome outcome, byte[] output) {
}
