package io.flotilla.evm.trace;

import io.flotilla.evm.vm.ExecutionInterrupted;

/**
 * How much one trace may produce: an estimate of its JSON size in bytes. A tracer that passes the limit stops the
 * execution by throwing {@link ExecutionInterrupted} (which rolls the transaction back) and reports
 * {@link #exceeded()}, so the caller can answer with a named error instead of a cut-short trace.
 */
public final class TraceLimits {
    private final long maxBytes;
    private long bytes;
    private boolean exceeded;

    public TraceLimits(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public long bytes() {
        return bytes;
    }

    public boolean exceeded() {
        return exceeded;
    }

    /** Counts {@code n} more bytes of output; stops the execution once past the limit. */
    void add(long n) {
        bytes += n;
        if (bytes > maxBytes) {
            exceeded = true;
            throw new ExecutionInterrupted();
        }
    }
}
