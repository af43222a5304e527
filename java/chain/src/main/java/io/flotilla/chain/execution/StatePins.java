package io.flotilla.chain.execution;

import java.util.TreeMap;

/**
 * The states in use that pruning must keep, by block number, counted (several readers may hold the same block):
 * reads in progress at an older block, snapshots a member serves. Thread-safe.
 */
public final class StatePins {
    private final TreeMap<Long, Integer> held = new TreeMap<>();

    /** A hold on the state after one block; closing it (once) releases it. */
    public final class Pin implements AutoCloseable {
        private final long number;
        private boolean closed;

        private Pin(long number) {
            this.number = number;
        }

        public long number() {
            return number;
        }

        @Override
        public void close() {
            synchronized (StatePins.this) {
                if (closed) return;
                closed = true;
                held.computeIfPresent(number, (k, n) -> n == 1 ? null : n - 1);
            }
        }
    }

    synchronized Pin pin(long number) {
        held.merge(number, 1, Integer::sum);
        return new Pin(number);
    }

    /** The lowest pinned block, or {@code none} when nothing is pinned. */
    synchronized long lowest(long none) {
        return held.isEmpty() ? none : held.firstKey();
    }
}
