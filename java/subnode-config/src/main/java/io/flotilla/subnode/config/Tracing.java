package io.flotilla.subnode.config;

/**
 * debug_trace* limits: {@code enabled} (default true), {@code concurrency} (traces at once, 1-16, default 1),
 * {@code timeoutMs} (the longest a caller may ask for, 100-600,000, default 30,000) and {@code maxMegabytes} (largest
 * trace answer, 1-1024, default 8).
 */
public record Tracing(boolean enabled, int concurrency, long timeoutMs, int maxMegabytes) {

    public static final Tracing DEFAULT = new Tracing(true, 1, 30_000, 8);

    public Tracing {
        Check.range("concurrency", concurrency, 1, 16);
        Check.range("timeoutMs", timeoutMs, 100, 600_000);
        Check.range("maxMegabytes", maxMegabytes, 1, 1024);
    }
}
