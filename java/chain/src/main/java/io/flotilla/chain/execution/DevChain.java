package io.flotilla.chain.execution;

import io.flotilla.chain.mempool.Mempool;
import io.flotilla.chain.mempool.MempoolConfig;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.evm.types.Address;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Single-producer mode: this node alone decides every block, producing one as soon as transactions arrive
 * (when auto-production is on) or when asked. It stands in for the BFT engine, which will use the same
 * {@link BlockBuilder} / {@link ChainState#apply} seam.
 */
public final class DevChain implements AutoCloseable {
    private final ChainStore store;
    private final ChainState chain;
    private final Mempool mempool;
    private final TxSubmission submission;
    private final BlockBuilder builder;
    private final Address proposer;
    private final Clock clock;
    private final ExecutorService producer;
    private final AtomicBoolean wakeQueued = new AtomicBoolean();
    private final Object produceLock = new Object();

    public DevChain(ChainStore store, Genesis genesis, Address proposer, MempoolConfig mempoolConfig, Clock clock, boolean autoProduce) {
        this.store = store;
        this.chain = ChainState.open(store, genesis);
        this.mempool = new Mempool(mempoolConfig, chain.config().baseFee(), clock::millis);
        this.submission = new TxSubmission(chain, mempool);
        this.builder = new BlockBuilder(chain, mempool);
        this.proposer = proposer;
        this.clock = clock;
        this.producer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(null, r, "dev-producer", 64L << 20); // deep EVM call stacks recurse on this thread
            t.setDaemon(true);
            return t;
        });
        if (autoProduce) submission.onAccepted(tx -> wake());
    }

    /** Opens (or resumes) a chain in {@code dataDir} that mines automatically. */
    public static DevChain open(Path dataDir, Genesis genesis, Address proposer) {
        return new DevChain(ChainStore.open(dataDir), genesis, proposer, MempoolConfig.DEFAULT, Clock.systemUTC(), true);
    }

    public ChainState chain() {
        return chain;
    }

    public Mempool mempool() {
        return mempool;
    }

    public TxSubmission submission() {
        return submission;
    }

    /** Builds and commits one block now, even an empty one. */
    public ExecutedBlock produceBlock() {
        synchronized (produceLock) {
            ExecutedBlock b = builder.build(clock.millis() / 1000, proposer, new byte[0]);
            chain.commit(b);
            return b;
        }
    }

    private void wake() {
        // Coalesce bursts: one queued production round picks up everything pending.
        if (!wakeQueued.compareAndSet(false, true)) return;
        producer.execute(() -> {
            wakeQueued.set(false);
            try {
                // Keep going while something is ready: the pool may hold more than one block's worth. Transactions
                // waiting behind a nonce gap are not ready and must not trigger empty blocks.
                while (!mempool.ready(a -> chain.account(a).nonce()).isEmpty()) {
                    if (produceBlock().block().transactions().isEmpty()) break;
                }
            } catch (RuntimeException e) {
                System.getLogger(DevChain.class.getName()).log(System.Logger.Level.ERROR, "block production failed", e);
            }
        });
    }

    @Override
    public void close() {
        producer.shutdown();
        try {
            producer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (produceLock) {
            store.close();
        }
    }
}
