package io.flotilla.chain.node;

import io.flotilla.evm.types.Address;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The replica's single consensus thread and what waits for it. Own work (timeouts, ticks, commits, start-up) has a
 * queue of its own that is always served first: it is produced by this node at a bounded rate. Work from peers waits
 * in bounded queues per peer and per lane: consensus messages, snapshot answers (a lane of its own, as deep as the
 * requests a joiner keeps in flight, so status and block traffic cannot push out an answer it waits for), and
 * everything else (status, blocks). Peers are served
 * in turn and consensus before the rest, but every {@value #CONSENSUS_PER_OTHER} consensus messages one other item
 * runs, so no flood (of one peer, or of one kind) delays the others beyond a bounded number of items. A full queue
 * drops its oldest entry: consensus liveness comes back through re-gossip, and status/blocks are asked for again.
 */
final class MessageIntake {
    enum Lane { CONSENSUS, SNAPSHOT, OTHER }

    /** Per peer: queued consensus messages (count and bytes), queued status/block items. */
    static final int CONSENSUS_MESSAGES_PER_PEER = 1024;
    static final long CONSENSUS_BYTES_PER_PEER = 8L << 20;
    static final int OTHER_PER_PEER = 4;
    /** Per peer: answers to our node or code requests, and to our question for the heights offered. */
    static final int SNAPSHOT_PER_PEER = SnapshotSync.PIPELINE + 1;
    private static final int CONSENSUS_PER_OTHER = 8;

    private record Item(Runnable task, long bytes) {
    }

    private static final class PeerQueue {
        final ArrayDeque<Item> consensus = new ArrayDeque<>();
        final ArrayDeque<Item> other = new ArrayDeque<>();
        final ArrayDeque<Item> snapshot = new ArrayDeque<>();
        long consensusBytes;
    }

    private final Object lock = new Object();
    private final ArrayDeque<Runnable> own = new ArrayDeque<>();
    private final Map<Address, PeerQueue> peers = new LinkedHashMap<>();
    private final List<Address> order = new ArrayList<>();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    private int nextConsensusPeer;
    private int nextOtherPeer;
    private int consensusSinceOther;
    private boolean shutdown;

    MessageIntake(String name, long stackBytes) {
        this.thread = new Thread(null, this::run, name, stackBytes);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Own work: never dropped. */
    void execute(Runnable task) {
        synchronized (lock) {
            if (shutdown) return;
            own.add(task);
            lock.notifyAll();
        }
    }

    /** Work from a peer; {@code bytes} is what it holds in memory while it waits. */
    void offer(Address peer, Lane lane, long bytes, Runnable task) {
        synchronized (lock) {
            if (shutdown) return;
            PeerQueue q = peers.computeIfAbsent(peer, p -> {
                order.add(p);
                return new PeerQueue();
            });
            Item item = new Item(task, bytes);
            if (lane == Lane.CONSENSUS) {
                q.consensus.add(item);
                q.consensusBytes += bytes;
                while (q.consensus.size() > CONSENSUS_MESSAGES_PER_PEER || q.consensusBytes > CONSENSUS_BYTES_PER_PEER) {
                    q.consensusBytes -= q.consensus.removeFirst().bytes();
                    dropped.incrementAndGet();
                }
            } else {
                ArrayDeque<Item> queue = lane == Lane.SNAPSHOT ? q.snapshot : q.other;
                queue.add(item);
                while (queue.size() > (lane == Lane.SNAPSHOT ? SNAPSHOT_PER_PEER : OTHER_PER_PEER)) {
                    queue.removeFirst();
                    dropped.incrementAndGet();
                }
            }
            lock.notifyAll();
        }
    }

    /** Peer work dropped because its queue was full. */
    long dropped() {
        return dropped.get();
    }

    /** Peer work waiting now, in bytes as offered. */
    long queuedConsensusBytes() {
        synchronized (lock) {
            return peers.values().stream().mapToLong(q -> q.consensusBytes).sum();
        }
    }

    private Runnable next() throws InterruptedException {
        synchronized (lock) {
            while (true) {
                if (!own.isEmpty()) return own.removeFirst();
                if (shutdown) return null; // peers' work left waiting is dropped
                boolean preferOther = consensusSinceOther >= CONSENSUS_PER_OTHER;
                Runnable r = preferOther ? takeOther() : null;
                if (r == null) r = takeConsensus();
                if (r == null) r = takeOther();
                if (r != null) return r;
                lock.wait();
            }
        }
    }

    private Runnable takeConsensus() {
        for (int i = 0; i < order.size(); i++) {
            int at = (nextConsensusPeer + i) % order.size();
            PeerQueue q = peers.get(order.get(at));
            if (!q.consensus.isEmpty()) {
                nextConsensusPeer = at + 1;
                Item item = q.consensus.removeFirst();
                q.consensusBytes -= item.bytes();
                consensusSinceOther++;
                return item.task();
            }
        }
        return null;
    }

    private Runnable takeOther() {
        for (int i = 0; i < order.size(); i++) {
            int at = (nextOtherPeer + i) % order.size();
            PeerQueue q = peers.get(order.get(at));
            if (!q.other.isEmpty() || !q.snapshot.isEmpty()) {
                nextOtherPeer = at + 1;
                consensusSinceOther = 0;
                // The two lanes of a peer take turns only through the round of peers: status first, it is small.
                return (q.other.isEmpty() ? q.snapshot : q.other).removeFirst().task();
            }
        }
        return null;
    }

    private void run() {
        while (true) {
            Runnable task;
            try {
                task = next();
            } catch (InterruptedException e) {
                return;
            }
            if (task == null) return;
            try {
                task.run();
            } catch (RuntimeException e) {
                System.getLogger(MessageIntake.class.getName()).log(System.Logger.Level.WARNING, "consensus task failed", e);
            }
        }
    }

    /** Stops taking work: own work already queued still runs, peers' work is dropped. */
    void shutdown() {
        synchronized (lock) {
            shutdown = true;
            lock.notifyAll();
        }
    }

    boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        thread.join(unit.toMillis(timeout));
        return !thread.isAlive();
    }
}
