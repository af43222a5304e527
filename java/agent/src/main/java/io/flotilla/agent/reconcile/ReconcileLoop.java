package io.flotilla.agent.reconcile;

import io.flotilla.agent.liveness.PeerProber;
import io.flotilla.agent.plan.Names;
import io.flotilla.agent.runtime.ContainerRuntime;
import io.flotilla.agent.status.AgentStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's tasks, each on its own thread so that none can stall another:
 * <ul>
 *   <li>events: reads manager events in bounded ranges and wakes the reconciler when there are any;</li>
 *   <li>reconcile: a full pass when woken, and a resync every {@code resyncInterval} (falls back to keeping the
 *       existing subnodes running when the contracts cannot be read);</li>
 *   <li>docker-events: a subscription to Docker's container events; a subnode that stops is restarted at once (with
 *       the crash-loop backoff), and after the engine comes back (a dockerd restart) every subnode is started again;</li>
 *   <li>restarts: the Docker-only pass those events wake;</li>
 *   <li>probe: liveness probes of the chains' peers (reports are sent by the prober's own reporter thread);</li>
 *   <li>stats: CPU and memory samples.</li>
 * </ul>
 * A failing task is logged, counted and retried with backoff (see {@link Worker}).
 */
public final class ReconcileLoop implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReconcileLoop.class);
    private static final Duration PROBE_INTERVAL = Duration.ofSeconds(5);
    private static final Duration STATS_INTERVAL = Duration.ofSeconds(15);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** Resubscription to Docker events backs off up to this: after a dockerd restart subnodes are back within it. */
    static final Duration MAX_RESUBSCRIBE_DELAY = Duration.ofSeconds(2);

    private final Reconciler reconciler;
    private final ContainerRuntime runtime;
    private final PeerProber prober;
    private final AgentStatus status;
    private final List<Worker> workers;
    private final Worker reconcile;
    private final Worker restarts;
    private final Worker dockerEvents;
    private final AtomicReference<AutoCloseable> subscription = new AtomicReference<>();
    private final AtomicLong lag = new AtomicLong();
    private volatile boolean subscribed;
    private volatile long subscribedAt;
    private volatile long endedAt;
    private volatile int ends;
    private volatile boolean closed;

    public ReconcileLoop(Reconciler reconciler, EventWatcher events, ContainerRuntime runtime, PeerProber prober, AgentStatus status,
            MeterRegistry metrics, Duration pollInterval, Duration resyncInterval) {
        this.reconciler = reconciler;
        this.runtime = runtime;
        this.prober = prober;
        this.status = status;
        Gauge.builder("flotilla.events.lag.blocks", lag, AtomicLong::get).description("manager blocks not yet read")
                .strongReference(true).register(metrics);
        this.reconcile = new Worker("reconcile", () -> {
            reconciler.reconcile();
            return resyncInterval;
        }, status, metrics, pollInterval, MAX_BACKOFF);
        this.restarts = new Worker("restarts", () -> {
            reconciler.keepRunning();
            return Duration.ofSeconds(5); // also a safety net should an event be missed
        }, status, metrics, Duration.ofMillis(200), Duration.ofSeconds(5));
        Worker eventReader = new Worker("events", () -> {
            boolean any = !events.poll().isEmpty();
            lag.set(events.lag());
            if (any) {
                reconcile.wake();
            }
            return events.lag() > 0 ? Duration.ZERO : pollInterval;
        }, status, metrics, pollInterval, MAX_BACKOFF);
        this.dockerEvents = new Worker("docker-events", this::subscribe, status, metrics, Duration.ofMillis(250), MAX_RESUBSCRIBE_DELAY);
        Worker probe = new Worker("probe", () -> {
            PeerProber.Round round = prober.probe(reconciler.lastDesired(), reconciler.runningChains());
            if (round.abstention() != null) {
                LOG.debug("liveness: no reports this round: {}", round.abstention());
            }
            return PROBE_INTERVAL;
        }, status, metrics, PROBE_INTERVAL, MAX_BACKOFF);
        Worker stats = new Worker("stats", () -> {
            reconciler.sampleStats();
            return STATS_INTERVAL;
        }, status, metrics, STATS_INTERVAL, MAX_BACKOFF);
        this.workers = List.of(reconcile, restarts, eventReader, dockerEvents, probe, stats);
    }

    /** Subscribes when not subscribed; a lost subscription fails the step so it is retried with backoff. */
    private Duration subscribe() throws Exception {
        if (subscribed) {
            return Duration.ofSeconds(5);
        }
        if (ends > 0) {
            // The stream keeps ending (the engine is down): back off, 250 ms doubling up to the maximum.
            long wait = Math.min(Duration.ofMillis(250).toNanos() << Math.min(ends - 1, 6), MAX_RESUBSCRIBE_DELAY.toNanos())
                    - (System.nanoTime() - endedAt);
            if (wait > 0) {
                return Duration.ofNanos(wait);
            }
        }
        subscribedAt = System.nanoTime();
        subscribed = true; // before the call: the stream may end (and say so) before watch returns
        AutoCloseable handle;
        try {
            handle = runtime.watch(Names.networkSelector(reconciler.network()), event -> {
            if (Set.of("die", "oom", "stop", "kill").contains(event.action())) {
                restarts.wake();
            }
        }, error -> {
            subscribed = false;
            ends = System.nanoTime() - subscribedAt > Duration.ofSeconds(10).toNanos() ? 1 : ends + 1;
            endedAt = System.nanoTime();
            if (!closed) {
                LOG.warn("docker events: stream ended ({}); subscribing again", error == null ? "closed by the engine" : error.getMessage());
                dockerEvents.wake();
            }
        });
        } catch (RuntimeException e) {
            subscribed = false;
            throw e;
        }
        AutoCloseable previous = subscription.getAndSet(handle);
        if (previous != null) {
            previous.close();
        }
        // Whatever stopped while no subscription was listening (a dockerd restart stops every container) starts now.
        restarts.wake();
        return Duration.ofSeconds(5);
    }

    public void start() {
        workers.forEach(Worker::start);
    }

    /** Asks for a full pass now (tests, and the REST API). */
    public void requestReconcile() {
        reconcile.wake();
    }

    @Override
    public void close() {
        closed = true;
        workers.forEach(Worker::close);
        AutoCloseable handle = subscription.getAndSet(null);
        if (handle != null) {
            try {
                handle.close();
            } catch (Exception e) {
                LOG.debug("closing the docker events subscription: {}", e.getMessage());
            }
        }
    }
}
