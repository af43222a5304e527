package io.flotilla.chain.execution;

import java.time.Duration;

/**
 * A node's tracing limits: whether debug_trace* is served at all, how many traces run at once (the rest are refused at
 * once, not queued), the longest a trace may run and the largest answer it may build (an estimate of its JSON size).
 */
public record TraceConfig(boolean enabled, int concurrency, Duration maxTimeout, Duration defaultTimeout, long maxBytes) {
    public TraceConfig {
        if (concurrency < 1) throw new IllegalArgumentException("tracing concurrency must be positive");
        if (maxBytes < 1024) throw new IllegalArgumentException("tracing maxBytes must be at least 1024");
    }

    /** On; one trace at a time; 5 s by default (geth's default), at most 30 s; answers up to 8 MiB (about 50 MB of heap). */
    public static final TraceConfig DEFAULT = new TraceConfig(true, 1, Duration.ofSeconds(30), Duration.ofSeconds(5), 8L << 20);
}
