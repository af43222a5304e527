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
