package io.flotilla.evm.vm;

/**
 * Thrown when the executing thread is interrupted (e.g. a caller's timeout). It unwinds the whole
 * transaction; {@code TransactionProcessor} rolls the world state back to before the transaction and
 * rethrows it (the only exception that leaves the processor).
 */
public final class ExecutionInterrupted extends RuntimeException {
    public ExecutionInterrupted() {
        super("EVM execution interrupted", null, false, false);
    }
}
