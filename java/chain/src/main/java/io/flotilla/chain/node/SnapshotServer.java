package io.flotilla.chain.node;

import io.flotilla.chain.snapshot.SnapshotSource;
import io.flotilla.evm.types.Address;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;

/**
 * Answers peers' snapshot requests off the reader and consensus threads, within a budget a hostile joiner cannot
 * exceed however often it asks: one thread for all peers; at most {@link SnapshotSync#PIPELINE} node or code requests
 * per peer queued or running (a joiner asks for the next while it checks the last answer; more are dropped and counted), besides one small question for the heights offered (which a joiner repeats every few seconds
 * while it fetches: dropping the node request behind it cost the joiner a request timeout); a token bucket of answer bytes per peer and one shared by all peers, so serving costs at most
 * {@code totalBytesPerSecond} of answers (and the CPU that takes: each answer is bounded to
 * {@link SnapshotWire#MAX_RESPONSE_BYTES}) whatever the number of joiners; a malformed request costs its decoding and
 * is dropped.
 */
final class SnapshotServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SnapshotServer.class.getName());

    private final SnapshotSource source;
    private final BiPredicate<Address, byte[]> send;
    private final double peerRate;
    private final double peerBurst;
    private final double totalRate;
    private final double totalBurst;
    private final Map<Address, Bucket> buckets = new ConcurrentHashMap<>();
    private final Bucket total = new Bucket();
    private final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
            r -> Thread.ofPlatform().daemon().name("snapshot-serving").unstarted(io.flotilla.chain.os.Niceness.lowered(r)));
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong servedBytes = new AtomicLong();

    private static final class Bucket {
        double tokens;
        long last = System.nanoTime();
        /** Node or code requests queued or running (at most {@link SnapshotSync#PIPELINE}). */
        int busy;
        /** A GET_SNAPSHOTS is queued or running (its own slot: a tiny answer). */
        boolean busyOffer;

        /** Refills, then says how long until the balance is not negative. */
        synchronized long waitNanos(double rate, double burst) {
            long now = System.nanoTime();
            tokens = Math.min(burst, tokens + (now - last) / 1e9 * rate);
            last = now;
            return tokens >= 0 ? 0 : (long) (-tokens / rate * 1e9);
        }

        synchronized void spend(double rate, double burst, long bytes) {
            waitNanos(rate, burst);
            tokens -= bytes;
        }
    }

    SnapshotServer(SnapshotSource source, long peerBytesPerSecond, long totalBytesPerSecond, BiPredicate<Address, byte[]> send) {
        this.source = source;
        this.send = send;
        this.peerRate = peerBytesPerSecond;
        this.peerBurst = 2.0 * peerBytesPerSecond;
        this.totalRate = totalBytesPerSecond;
        this.totalBurst = 2.0 * totalBytesPerSecond;
        this.total.tokens = totalBurst;
    }

    /** Queues an answer to a request of kind {@code kind}, answered with kind {@code answerKind}; never blocks. */
    void request(Address peer, byte kind, byte[] body, byte answerKind) {
        Bucket b = buckets.computeIfAbsent(peer, k -> {
            Bucket n = new Bucket();
            n.tokens = peerBurst;
            return n;
        });
        long wait;
        boolean offer = kind == BftReplica.GET_SNAPSHOTS;
        synchronized (b) {
            if (offer ? b.busyOffer : b.busy >= SnapshotSync.PIPELINE) {
                dropped.incrementAndGet();
                return;
            }
            if (offer) b.busyOffer = true;
            else b.busy++;
        }
        wait = Math.max(b.waitNanos(peerRate, peerBurst), total.waitNanos(totalRate, totalBurst));
        try {
            executor.schedule(() -> answer(peer, b, kind, body, answerKind), wait, TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) { // shut down
            release(b, offer);
        }
    }

    private void answer(Address peer, Bucket b, byte kind, byte[] body, byte answerKind) {
        long size = 0;
        byte[] framed = null;
        try {
            byte[] out = switch (kind) {
                case BftReplica.GET_SNAPSHOTS -> SnapshotWire.heights(source.heights());
                case BftReplica.GET_NODES -> SnapshotWire.nodes(SnapshotWire.serveNodes(source, SnapshotWire.decodeNodesRequest(body)));
                case BftReplica.GET_CODE -> SnapshotWire.codes(SnapshotWire.serveCode(source, SnapshotWire.decodeCodeRequest(body)));
                default -> throw new IllegalArgumentException("not a snapshot request: " + kind);
            };
            framed = new byte[out.length + 1];
            framed[0] = answerKind;
            System.arraycopy(out, 0, framed, 1, out.length);
            size = framed.length;
            served.incrementAndGet();
            servedBytes.addAndGet(size);
        } catch (RuntimeException e) {
            size = 1024; // a refused request costs its sender as much as a small answer
            LOG.log(System.Logger.Level.DEBUG, "snapshot request of kind " + kind + " from " + peer + " refused: " + e.getMessage());
        } finally {
            b.spend(peerRate, peerBurst, size);
            total.spend(totalRate, totalBurst, size);
            release(b, kind == BftReplica.GET_SNAPSHOTS);
        }
        // Sent after the slot is free: a joiner asks again as soon as it has checked the answer, and a request that
        // arrived before the release was dropped, costing the joiner its request timeout (10 s) every few requests.
        if (framed != null) send.test(peer, framed);
    }

    private static void release(Bucket b, boolean offer) {
        synchronized (b) {
            if (offer) b.busyOffer = false;
            else b.busy--;
        }
    }

    /** Requests dropped because the peer already had one queued or running. */
    long dropped() {
        return dropped.get();
    }

    /** Answers sent, and their bytes. */
    long[] served() {
        return new long[] {served.get(), servedBytes.get()};
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
