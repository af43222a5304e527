package io.flotilla.chain.execution;

import io.flotilla.evm.trace.StructLogger;
import java.time.Duration;

/**
 * What debug_trace* was asked for: a tracer (null: the struct logger with {@code struct} options; "callTracer",
 * "prestateTracer" or "4byteTracer") with its tracerConfig flags, and the caller's timeout (capped by the node).
 */
public record TraceRequest(String tracer, StructLogger.Options struct, boolean onlyTopCall, boolean withLog, boolean diffMode,
                           Duration timeout) {
    public static final java.util.Set<String> TRACERS = java.util.Set.of("callTracer", "prestateTracer", "4byteTracer");
}
