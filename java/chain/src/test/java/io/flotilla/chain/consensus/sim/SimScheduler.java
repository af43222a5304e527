package io.flotilla.chain.consensus.sim;

import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;

/** Simulated time: a queue of actions ordered by (time, insertion), so every run replays identically. */
public final class SimScheduler {
    private record Task(long at, long seq, Runnable action) {
    }

    private final PriorityQueue<Task> queue =
            new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private long now;
    private long seq;

    public long now() {
        return now;
    }

    public void after(long delayMillis, Runnable action) {
        queue.add(new Task(now + Math.max(0, delayMillis), seq++, action));
    }

    /** Runs actions until {@code stop} holds, the queue empties, or simulated time passes {@code until}. */
    public void runUntil(long until, BooleanSupplier stop) {
        while (!queue.isEmpty() && !stop.getAsBoolean()) {
            if (queue.peek().at > until) break;
            Task t = queue.poll();
            now = t.at;
            t.action.run();
        }
        if (now < until && !stop.getAsBoolean()) now = until;
    }

    public void runUntil(long until) {
        runUntil(until, () -> false);
    }
}
