package io.flotilla.chain.node;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Passes the transactions clients give this member on to every member in batches: one message per peer every few
 * milliseconds instead of one per transaction. Each message costs a wake-up of the peer's writer, an AES-GCM frame and
 * a system call on both sides; at 600 transfers/s one per transaction was a tenth of a member's CPU.
 *
 * <p>A batch is sent {@link #delayMillis} after its first transaction, or at once when it reaches {@link #maxBatchBytes}.
 * The wire format is a sequence of (4-byte big-endian length, transaction bytes); {@link #decode} bounds what a peer can
 * make a receiver allocate by the frame it already received.
 */
final class TxGossip {
    /** At most this many transactions in one batch a peer sends us; more is a malformed message. */
    static final int MAX_BATCH_COUNT = 4096;

    private final Consumer<byte[]> send;
    private final ScheduledExecutorService timer;
    private final long delayMillis;
    private final int maxBatchBytes;
    private final List<byte[]> pending = new ArrayList<>();
    private int pendingBytes;
    private boolean flushScheduled;

    /**
     * @param send broadcasts one encoded batch (called outside the lock, on the caller's or the timer's thread)
     * @param maxBatchBytes a batch is flushed when it reaches this size (a larger transaction travels alone)
     */
    TxGossip(Consumer<byte[]> send, ScheduledExecutorService timer, long delayMillis, int maxBatchBytes) {
        this.send = send;
        this.timer = timer;
        this.delayMillis = delayMillis;
        this.maxBatchBytes = maxBatchBytes;
    }

    /** Queues one transaction for the next batch. */
    void add(byte[] raw) {
        List<byte[]> full = null;
        synchronized (this) {
            pending.add(raw);
            pendingBytes += raw.length + 4;
            if (pendingBytes >= maxBatchBytes || pending.size() >= MAX_BATCH_COUNT) {
                full = takePending();
            } else if (!flushScheduled) {
                flushScheduled = true;
                timer.schedule(this::flush, delayMillis, TimeUnit.MILLISECONDS);
            }
        }
        if (full != null) {
            send.accept(encode(full));
        }
    }

    /** Sends what is pending now. */
    void flush() {
        List<byte[]> batch;
        synchronized (this) {
            flushScheduled = false;
            if (pending.isEmpty()) {
                return;
            }
            batch = takePending();
        }
        send.accept(encode(batch));
    }

    private List<byte[]> takePending() {
        List<byte[]> batch = new ArrayList<>(pending);
        pending.clear();
        pendingBytes = 0;
        return batch;
    }

    static byte[] encode(List<byte[]> txs) {
        int size = 0;
        for (byte[] tx : txs) size += 4 + tx.length;
        ByteBuffer out = ByteBuffer.allocate(size);
        for (byte[] tx : txs) {
            out.putInt(tx.length);
            out.put(tx);
        }
        return out.array();
    }

    /**
     * The transactions of a batch; {@link IllegalArgumentException} when a length is zero, negative or runs past the end,
     * or when there are more than {@link #MAX_BATCH_COUNT}.
     */
    static List<byte[]> decode(byte[] body) {
        List<byte[]> txs = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(body);
        while (in.hasRemaining()) {
            if (in.remaining() < 4) throw new IllegalArgumentException("truncated length at byte " + in.position());
            int length = in.getInt();
            if (length <= 0 || length > in.remaining()) {
                throw new IllegalArgumentException("transaction length " + length + " with " + in.remaining() + " bytes left");
            }
            if (txs.size() == MAX_BATCH_COUNT) throw new IllegalArgumentException("more than " + MAX_BATCH_COUNT + " transactions");
            byte[] tx = new byte[length];
            in.get(tx);
            txs.add(tx);
        }
        return txs;
    }
}
