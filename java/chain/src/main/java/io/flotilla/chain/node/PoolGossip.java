package io.flotilla.chain.node;

import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.evm.types.Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Sends the whole pool to a member when a link with it opens: a member that just joined, or one that came back
 * after a restart (its own pool may be gone), gets every transaction we hold; and a member that restarted sends its
 * reloaded pool to every member it reconnects to. Transactions go in the batch message clients' transactions are
 * passed on in ({@link TxGossip}: at most {@link #MAX_BATCH_BYTES} and {@link #MAX_BATCH_COUNT} transactions each), so
 * the receiver admits them with its usual checks and admission bound, and a pool of thousands is a few messages.
 * <p>Bounded for an adversarial member, who can close and reopen its link as often as it likes: one pool per member
 * per {@link #cooldown} at most (more link openings are counted and ignored), paced at {@link #bytesPerSecond}, and
 * a send stops at the first batch the link does not take (closed or full).
 */
final class PoolGossip {

    private static final System.Logger LOG = System.getLogger(PoolGossip.class.getName());
    static final Duration COOLDOWN = Duration.ofSeconds(30);
    /** Pool gossip to one member uses at most this much of its link. */
    static final long BYTES_PER_SECOND = 2 << 20;
    static final int MAX_BATCH_BYTES = 256 << 10;
    static final int MAX_BATCH_COUNT = 1024;

    private final Supplier<List<SignedTransaction>> pool;
    private final BiPredicate<Address, List<SignedTransaction>> send;
    private final LongSupplier clock;
    private final long cooldownMillis;
    private final long bytesPerSecond;
    private final int maxBatchBytes;
    private final Map<Address, Long> lastSentAt = new ConcurrentHashMap<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private volatile boolean closed;

    /**
     * @param pool the pool's transactions, by sender in nonce order
     * @param send queues one batch for a member; false when the link does not take it
     * @param clock milliseconds
     * @param maxBatchBytes a batch is closed when it reaches this size (a larger transaction travels alone)
     */
    PoolGossip(Supplier<List<SignedTransaction>> pool, BiPredicate<Address, List<SignedTransaction>> send, LongSupplier clock,
            Duration cooldown, long bytesPerSecond, int maxBatchBytes) {
        this.pool = pool;
        this.send = send;
        this.clock = clock;
        this.cooldownMillis = cooldown.toMillis();
        this.bytesPerSecond = bytesPerSecond;
        this.maxBatchBytes = maxBatchBytes;
    }

    /** A link with {@code peer} opened: sends it the pool on a virtual thread, unless it got one within the cooldown. */
    void linkOpened(Address peer) {
        if (closed || !claim(peer)) return;
        Thread.ofVirtual().name("pool-gossip-" + peer).start(() -> sendPool(peer));
    }

    /** Whether a pool may go to {@code peer} now (and records that it goes). */
    boolean claim(Address peer) {
        long now = clock.getAsLong();
        boolean[] ok = {false};
        lastSentAt.compute(peer, (k, last) -> {
            if (last != null && now - last < cooldownMillis) return last;
            ok[0] = true;
            return now;
        });
        if (!ok[0]) skipped.incrementAndGet();
        return ok[0];
    }

    /** Sends the pool to {@code peer} in batches, paced; returns how many transactions the link took. */
    int sendPool(Address peer) {
        List<SignedTransaction> txs = pool.get();
        int n = 0;
        long bytes = 0;
        long started = System.nanoTime();
        List<SignedTransaction> batch = new ArrayList<>();
        int batchBytes = 0;
        try {
            for (int i = 0; i <= txs.size(); i++) {
                SignedTransaction tx = i < txs.size() ? txs.get(i) : null;
                boolean full = tx == null || batch.size() == MAX_BATCH_COUNT
                        || (!batch.isEmpty() && batchBytes + tx.raw().length + 4 > maxBatchBytes);
                if (full && !batch.isEmpty()) {
                    if (closed || !send.test(peer, List.copyOf(batch))) break;
                    n += batch.size();
                    bytes += batchBytes;
                    batch.clear();
                    batchBytes = 0;
                    long due = started + bytes * 1_000_000_000L / bytesPerSecond;
                    long wait = due - System.nanoTime();
                    if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                if (tx != null) {
                    batch.add(tx);
                    batchBytes += tx.raw().length + 4;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sent.addAndGet(n);
        if (n > 0) LOG.log(System.Logger.Level.DEBUG, "sent " + n + " pooled transactions to " + peer);
        return n;
    }

    /** Transactions sent by pool gossip so far. */
    long sent() {
        return sent.get();
    }

    /** Link openings that got no pool because the member had one within the cooldown. */
    long skipped() {
        return skipped.get();
    }

    void close() {
        closed = true;
    }
}
