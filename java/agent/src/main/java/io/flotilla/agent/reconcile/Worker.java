package io.flotilla.agent.reconcile;

import io.flotilla.agent.status.AgentStatus;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One of the agent's independent tasks on its own thread: runs {@code step} again after the delay the step returns,
 * or at once when {@link #wake()}d. A failing step is logged, counted ({@code flotilla.task.failures}), shown in the
 * status and retried with exponential backoff; it never stops the task, nor any other task.
 */
final class Worker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

    /** One run of the task; returns how long to wait before the next run unless woken earlier. */
    interface Step {
        Duration run() throws Exception;
    }

    private final String name;
    private final Step step;
    private final AgentStatus status;
    private final MeterRegistry metrics;
    private final Duration minBackoff;
    private final Duration maxBackoff;
    private final Thread thread;
    private final Object signal = new Object();
    private boolean woken;
    private volatile boolean running = true;

    Worker(String name, Step step, AgentStatus status, MeterRegistry metrics, Duration minBackoff, Duration maxBackoff) {
        this.name = name;
        this.step = step;
        this.status = status;
        this.metrics = metrics;
        this.minBackoff = minBackoff;
        this.maxBackoff = maxBackoff;
        this.thread = Thread.ofPlatform().name("flotilla-" + name).daemon().unstarted(this::loop);
    }

    void start() {
        thread.start();
    }

    /** Runs the step as soon as the current run (if any) ends. */
    void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    private void loop() {
        Duration backoff = minBackoff;
        while (running) {
            Duration next;
            try {
                next = step.run();
                backoff = minBackoff;
                status.taskRecovered(name);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception | LinkageError e) {
                metrics.counter("flotilla.task.failures", "task", name).increment();
                status.taskFailing(name, e.getMessage() == null ? e.toString() : e.getMessage());
                LOG.warn("{}: {} (retrying in {})", name, e.getMessage() == null ? e.toString() : e.getMessage(), backoff);
                next = backoff;
                backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
            }
            try {
                synchronized (signal) {
                    long deadline = System.nanoTime() + next.toNanos();
                    while (!woken && running) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            break;
                        }
                        signal.wait(Math.max(1, left / 1_000_000));
                    }
                    woken = false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
