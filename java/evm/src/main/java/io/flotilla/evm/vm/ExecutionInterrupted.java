package io.flotilla.evm.vm;

/**
 * Thrown when the executing thread is interrupted (e.g. a caller's timeout). It unwinds the whole
 * transaction; the world state is then inconsistent and must be discarded by the caller.
 */
public final class ExecutionInterrupted extends RuntimeException {
    public ExecutionInterrupted() {
        super("EVM execution interrupted", null, false, false);
    }
}
