package io.flotilla.chain.execution;

import io.flotilla.evm.vm.ExecutionInterrupted;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Runs a simulation with a wall-time limit: the EVM checks its thread's interrupt flag at every jump (every loop
 * jumps), so interrupting the thread at the deadline aborts the call. The flag never outlives the call.
 */
final class CallDeadline {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("call-deadline").unstarted(r));

    private CallDeadline() {
    }

    /**
     * An alarm that interrupts the thread that armed it at a deadline, re-armed rather than recreated: block building
     * arms one for the first transaction and one for the rest of the block, not one per transaction.
     */
    static final class Alarm implements AutoCloseable {
        private final Thread owner = Thread.currentThread();
        private ScheduledFuture<?> pending;
        private boolean disarmed;

        /** Interrupts the owner {@code delay} from now (replacing the deadline set before). */
        synchronized void setIn(Duration delay) {
            if (pending != null) pending.cancel(false);
            disarmed = false;
            pending = TIMER.schedule(this::fire, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
        }

        private synchronized void fire() {
            if (!disarmed) owner.interrupt();
        }

        /** No interrupt after this returns, and none left pending on the owner. */
        @Override
        public synchronized void close() {
            disarmed = true;
            if (pending != null) pending.cancel(false);
            Thread.interrupted();
        }
    }

    static <T> T run(Duration limit, Supplier<T> work, Supplier<T> onTimeout) {
        Thread caller = Thread.currentThread();
        Object guard = new Object();
        boolean[] finished = {false};
        ScheduledFuture<?> alarm = TIMER.schedule(() -> {
            synchronized (guard) {
                if (!finished[0]) caller.interrupt();
            }
        }, limit.toMillis(), TimeUnit.MILLISECONDS);
        try {
            return work.get();
        } catch (ExecutionInterrupted e) {
            return onTimeout.get();
        } finally {
            synchronized (guard) {
                finished[0] = true;
            }
            alarm.cancel(false);
            Thread.interrupted(); // clear a flag the alarm may have set just before we finished
        }
    }
}
