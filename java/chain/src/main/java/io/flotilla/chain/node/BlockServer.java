package io.flotilla.chain.node;

import io.flotilla.chain.execution.ChainState;
import io.flotilla.evm.types.Address;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;

/**
 * Answers peers' block requests off the connection reader and consensus threads: one thread for all peers, at most
 * one request per peer queued or running (more are dropped: the requester asks again after its timeout), and a
 * token bucket of bytes per peer, so a request over the rate waits until the peer's budget allows it. A member that
 * asks for blocks and never reads them therefore costs one bounded queue (then its link) and no honest thread.
 */
final class BlockServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(BlockServer.class.getName());

    private final ChainState chain;
    private final BiPredicate<Address, byte[]> send;
    private final double bytesPerSecond;
    private final double burstBytes;
    private final Map<Address, Bucket> buckets = new ConcurrentHashMap<>();
    private final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
            r -> Thread.ofPlatform().daemon().name("block-serving").unstarted(r));
    private final AtomicLong dropped = new AtomicLong();

    private static final class Bucket {
        double tokens;
        long last = System.nanoTime();
        boolean busy;
    }

    /** {@code send} queues the encoded answer (kind byte included) for the peer. */
    BlockServer(ChainState chain, long bytesPerSecond, long burstBytes, BiPredicate<Address, byte[]> send) {
        this.chain = chain;
        this.send = send;
        this.bytesPerSecond = bytesPerSecond;
        this.burstBytes = burstBytes;
    }

    /** Queues an answer to a request for blocks from..to; never blocks. */
    void request(Address peer, long from, long to, byte kind) {
        Bucket b = buckets.computeIfAbsent(peer, k -> {
            Bucket n = new Bucket();
            n.tokens = burstBytes;
            return n;
        });
        long waitNanos;
        synchronized (b) {
            if (b.busy) {
                dropped.incrementAndGet();
                return;
            }
            long now = System.nanoTime();
            b.tokens = Math.min(burstBytes, b.tokens + (now - b.last) / 1e9 * bytesPerSecond);
            b.last = now;
            waitNanos = b.tokens >= 0 ? 0 : (long) (-b.tokens / bytesPerSecond * 1e9);
            b.busy = true;
        }
        try {
            executor.schedule(() -> answer(peer, b, from, to, kind), waitNanos, TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) { // shut down
            synchronized (b) {
                b.busy = false;
            }
        }
    }

    private void answer(Address peer, Bucket b, long from, long to, byte kind) {
        int size = 0;
        try {
            List<byte[]> blocks = BlockSync.serve(chain, from, to);
            byte[] body = BlockSync.encodeBlocks(blocks);
            byte[] framed = new byte[body.length + 1];
            framed[0] = kind;
            System.arraycopy(body, 0, framed, 1, body.length);
            size = framed.length;
            send.test(peer, framed);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "serving blocks to " + peer + " failed: " + e);
        } finally {
            synchronized (b) {
                long now = System.nanoTime();
                b.tokens = Math.min(burstBytes, b.tokens + (now - b.last) / 1e9 * bytesPerSecond) - size;
                b.last = now;
                b.busy = false;
            }
        }
    }

    /** Requests dropped because the peer already had one queued or running. */
    long dropped() {
        return dropped.get();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
