package io.flotilla.agent.reconcile;

import io.flotilla.agent.liveness.PeerProber;
import io.flotilla.agent.status.AgentStatus;
import io.flotilla.manager.ManagerEvents;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives the reconciler: a pass whenever the contracts emit events (polled every {@code pollInterval}), a full
 * resync every {@code resyncInterval}, and a liveness round every {@code probeInterval}. Errors never stop the
 * loop; they back off and show in the status.
 */
public final class ReconcileLoop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReconcileLoop.class);
    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(5);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration STATS_INTERVAL = Duration.ofSeconds(15);

    private final Reconciler reconciler;
    private final ManagerEvents events;
    private final PeerProber prober;
    private final AgentStatus status;
    private final Duration pollInterval;
    private final Duration resyncInterval;
    private final Thread thread;
    private final Thread statsThread;
    private volatile boolean running = true;

    public ReconcileLoop(Reconciler reconciler, ManagerEvents events, PeerProber prober, AgentStatus status, Duration pollInterval,
            Duration resyncInterval) {
        this.reconciler = reconciler;
        this.events = events;
        this.prober = prober;
        this.status = status;
        this.pollInterval = pollInterval;
        this.resyncInterval = resyncInterval;
        this.thread = Thread.ofPlatform().name("flotilla-reconciler").daemon().unstarted(this::run);
        this.statsThread = Thread.ofPlatform().name("flotilla-stats").daemon().unstarted(this::sampleStats);
    }

    public void start() {
        thread.start();
        statsThread.start();
    }

    private void sampleStats() {
        while (running) {
            try {
                reconciler.sampleStats();
                Thread.sleep(STATS_INTERVAL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.debug("stats sampling: {}", e.getMessage());
                try {
                    Thread.sleep(STATS_INTERVAL);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void run() {
        long nextResync = 0;
        long nextProbe = System.nanoTime() + PROBE_INTERVAL.toNanos();
        Duration backoff = pollInterval;
        while (running) {
            try {
                long now = System.nanoTime();
                boolean changed = !events.poll().isEmpty();
                if (changed || now >= nextResync) {
                    reconciler.reconcile();
                    nextResync = System.nanoTime() + resyncInterval.toNanos();
                }
                if (now >= nextProbe) {
                    prober.probe(reconciler.lastDesired(), reconciler.runningChains());
                    nextProbe = System.nanoTime() + PROBE_INTERVAL.toNanos();
                }
                backoff = pollInterval;
                Thread.sleep(pollInterval);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                status.degraded("manager RPC: " + e.getMessage());
                LOG.warn("reconcile loop: {} (retrying in {})", e.getMessage(), backoff);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        statsThread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
