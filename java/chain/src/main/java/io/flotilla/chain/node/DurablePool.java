package io.flotilla.chain.node;

import io.flotilla.chain.execution.SubmissionException;
import io.flotilla.chain.execution.TxSubmission;
import io.flotilla.chain.mempool.Mempool;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.chain.tx.TxDecoder;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the pool's transactions in the chain store until they leave the pool, and puts them back after a restart.
 * <ul>
 *   <li>A transaction a client sent is written (write-ahead log, no fsync) before eth_sendRawTransaction answers:
 *       once the client has its hash, killing the process does not lose it.</li>
 *   <li>A transaction a peer passed on, and every removal (included, passed by the chain's nonce, replaced,
 *       evicted, dropped behind a gap, refused by the EVM), is queued and written in one batch {@link #FLUSH_EVERY}
 *       after the first change queued (and on close): the member that accepted it from a client holds it meanwhile.
 *       Nothing runs while nothing changes (an idle member's writer does not wake up).</li>
 *   <li>{@link #reload} re-validates every kept transaction against the current state, in nonce order per sender,
 *       and forgets the ones the pool refuses now (nonce too low: included elsewhere while we were down, ...).</li>
 * </ul>
 * A removal that overtakes the write of the same transaction leaves a stale entry: the next reload refuses and
 * forgets it.
 */
final class DurablePool implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(DurablePool.class.getName());
    static final Duration FLUSH_EVERY = Duration.ofMillis(50);

    private final ChainStore store;
    private final TxDecoder decoder;
    private final TxSubmission submission;
    /** Pool changes in the order they happened: raw bytes to keep, or null to forget. */
    private final ConcurrentLinkedQueue<Map.Entry<byte[], byte[]>> changes = new ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService flusher;
    private final AtomicLong written = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicBoolean flushDue = new java.util.concurrent.atomic.AtomicBoolean();
    /** Changes taken from the queue and not written yet (a failed write keeps them here). */
    private final List<Map.Entry<byte[], byte[]>> unwritten = new ArrayList<>();
    private volatile boolean reloading;

    DurablePool(ChainStore store, TxDecoder decoder, Mempool mempool, TxSubmission submission) {
        this.store = store;
        this.decoder = decoder;
        this.submission = submission;
        this.flusher = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("pool-flush").unstarted(r));
        mempool.onRemoved(tx -> queue(new AbstractMap.SimpleImmutableEntry<>(tx.hash(), null)));
        submission.onPooled((tx, fromClient) -> {
            if (reloading) return; // already kept
            if (fromClient) {
                try {
                    store.putPooled(tx.hash(), tx.raw());
                    written.incrementAndGet();
                } catch (RuntimeException e) {
                    // The transaction is pooled and relayed anyway; the batch writer tries again.
                    LOG.log(System.Logger.Level.ERROR, "pool: cannot keep " + tx.hashHex() + " now (queued): " + e.getMessage());
                    queue(new AbstractMap.SimpleImmutableEntry<>(tx.hash(), tx.raw()));
                }
            } else {
                queue(new AbstractMap.SimpleImmutableEntry<>(tx.hash(), tx.raw()));
            }
        });
    }

    private void queue(Map.Entry<byte[], byte[]> change) {
        changes.add(change);
        scheduleFlush();
    }

    /** One flush at a time is due; a change queued after it started its drain makes the next one due. */
    private void scheduleFlush() {
        if (flushDue.compareAndSet(false, true)) {
            try {
                flusher.schedule(this::flushQuietly, FLUSH_EVERY.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                flushDue.set(false); // closing: close() writes what is queued
            }
        }
    }

    /** What {@link #reload} did. */
    record Reloaded(int kept, int pooled, Map<String, Integer> dropped) {}

    /**
     * Offers every kept transaction to the pool again, grouped by sender in nonce order, re-validated against the
     * current state; forgets the refused ones. Call once at start-up, before the network starts.
     */
    Reloaded reload() {
        Map<byte[], byte[]> kept = store.pooled();
        List<Map.Entry<byte[], SignedTransaction>> txs = new ArrayList<>();
        List<Map.Entry<byte[], byte[]>> forget = new ArrayList<>();
        Map<String, Integer> dropped = new TreeMap<>();
        for (Map.Entry<byte[], byte[]> e : kept.entrySet()) {
            try {
                txs.add(new AbstractMap.SimpleImmutableEntry<>(e.getKey(), decoder.decode(e.getValue())));
            } catch (Exception ex) {
                forget.add(new AbstractMap.SimpleImmutableEntry<>(e.getKey(), null));
                dropped.merge("undecodable", 1, Integer::sum);
            }
        }
        txs.sort(Comparator.comparing((Map.Entry<byte[], SignedTransaction> t) -> t.getValue().sender().toString())
                .thenComparingLong(t -> t.getValue().nonce()));
        int pooled = 0;
        reloading = true;
        try {
            for (Map.Entry<byte[], SignedTransaction> tx : txs) {
                try {
                    submission.submit(tx.getValue().raw(), false);
                    pooled++;
                } catch (SubmissionException e) {
                    forget.add(new AbstractMap.SimpleImmutableEntry<>(tx.getKey(), null));
                    dropped.merge(e.getMessage().split(":")[0], 1, Integer::sum);
                }
            }
        } finally {
            reloading = false;
        }
        store.writePooled(forget);
        if (!kept.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "pool: " + kept.size() + " kept transactions, " + pooled + " pooled again, dropped " + dropped);
        }
        return new Reloaded(kept.size(), pooled, dropped);
    }

    /** Writes the queued changes in one batch (a batch that failed is written first next time). */
    synchronized void flush() {
        for (Map.Entry<byte[], byte[]> c; unwritten.size() < 100_000 && (c = changes.poll()) != null; ) unwritten.add(c);
        store.writePooled(unwritten);
        written.addAndGet(unwritten.size());
        unwritten.clear();
    }

    private synchronized void flushQuietly() {
        flushDue.set(false);
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "pool: cannot write pool changes (retried next time): " + e.getMessage());
        }
        if (!unwritten.isEmpty() || !changes.isEmpty()) {
            scheduleFlush(); // a failed write, or more than one batch queued
        }
    }

    /** Pool writes so far (client transactions written at once, plus batched changes). */
    long written() {
        return written.get();
    }

    /** Stops the flusher without writing what is queued: what a killed process leaves behind (tests). */
    void abandon() {
        flusher.shutdownNow();
    }

    /** Stops the flusher and writes what is queued (a graceful stop loses nothing). */
    @Override
    public void close() {
        flusher.shutdown();
        try {
            flusher.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flushQuietly();
    }
}
