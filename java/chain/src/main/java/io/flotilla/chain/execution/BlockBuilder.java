package io.flotilla.chain.execution;

import io.flotilla.chain.mempool.Mempool;
import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import io.flotilla.evm.vm.ExecutionInterrupted;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.LongSupplier;

/**
 * Builds a proposal on the current head from the mempool: each sender's transactions in nonce order, senders
 * interleaved by offered tip (highest first), until the block gas limit, the block size limit or the execution
 * budget is reached. A sender whose next transaction does not fit is skipped for this block (its later nonces could
 * not run anyway). A transaction the EVM rejects is dropped from the pool and never offered again: it changed
 * nothing, and no proposer retries it forever.
 * <p>The execution budget ({@link ChainConfig#executionBudget()}) bounds the wall time of one block whatever the
 * transactions in it: a transaction still running when the budget is used up is interrupted and rolled back, and
 * the block is sealed with what it has. Only the first transaction of a block may run longer, up to
 * {@link ChainConfig#maxTxExecution()}; one that runs longer still is dropped from the pool, as a transaction no
 * block of this chain can hold. Validators re-execute only what the proposer took, so a block costs them about what
 * it cost the proposer. The time the last block took to seal (compute its roots, which grows with the state) is
 * reserved out of the budget.
 */
public final class BlockBuilder {
    private static final System.Logger LOG = System.getLogger(BlockBuilder.class.getName());
    private static final long MIN_TX_GAS = 21_000;

    private final ChainState chain;
    private final Mempool mempool;
    private final LongSupplier nanoClock;
    /** How long sealing the last block took (its roots): the next block reserves that much of its budget for it. */
    private volatile long lastSealNanos;

    public BlockBuilder(ChainState chain, Mempool mempool) {
        this(chain, mempool, System::nanoTime);
    }

    /** @param nanoClock a monotonic clock in nanoseconds, for the execution budget */
    public BlockBuilder(ChainState chain, Mempool mempool, LongSupplier nanoClock) {
        this.chain = chain;
        this.mempool = mempool;
        this.nanoClock = nanoClock;
    }

    /** Executes a new block (not yet committed); may be empty. */
    public ExecutedBlock build(long timestamp, Address proposer, byte[] extraData) {
        long started = nanoClock.getAsLong();
        ChainConfig config = chain.config();
        // Sealing (the state root) costs more as the state grows; it comes out of the same budget.
        long budget = config.executionBudget().toNanos() - lastSealNanos;
        BlockExecutor.Session session = chain.beginBlock(timestamp, proposer, extraData);
        BigInteger baseFee = config.baseFee();
        Map<Address, List<SignedTransaction>> ready = mempool.ready(a -> chain.account(a).nonce());
        record Cursor(List<SignedTransaction> txs, int next) {
            SignedTransaction head() {
                return txs.get(next);
            }
        }
        PriorityQueue<Cursor> queue = new PriorityQueue<>(Comparator.comparing(
                (Cursor c) -> c.head().effectiveGasPrice(baseFee).subtract(baseFee)).reversed());
        for (List<SignedTransaction> run : ready.values()) queue.add(new Cursor(run, 0));
        long bytes = 0;
        try (CallDeadline.Alarm alarm = new CallDeadline.Alarm()) {
            // The first transaction may run up to the per-transaction limit; later ones only in what is left of the budget.
            boolean armedForFirst = false;
            boolean armedForRest = false;
            boolean attempted = false;
            while (!queue.isEmpty() && session.gasRemaining() >= MIN_TX_GAS) {
                long left = budget - (nanoClock.getAsLong() - started);
                if (left <= 0 && attempted) break; // one transaction is always tried: it has its own limit
                left = Math.max(left, 1);
                Cursor c = queue.poll();
                SignedTransaction tx = c.head();
                long size = ChainConfig.bodyBytes(tx);
                if (bytes + size > config.maxBodyBytes()) continue; // too large for what is left; smaller ones may still fit
                boolean first = session.transactionCount() == 0;
                if (first && !armedForFirst) {
                    alarm.setIn(config.maxTxExecution());
                    armedForFirst = true;
                } else if (!first && !armedForRest) {
                    alarm.setIn(Duration.ofNanos(left));
                    armedForRest = true;
                }
                Duration limit = first ? config.maxTxExecution() : Duration.ofNanos(left);
                TxApplyResult r;
                attempted = true;
                try {
                    r = session.apply(tx);
                } catch (ExecutionInterrupted e) {
                    Thread.interrupted(); // the alarm's flag, consumed here
                    r = null;
                } catch (RuntimeException | StackOverflowError e) {
                    // The EVM contains its own failures; this is the last line of defence for the rest of the session.
                    LOG.log(System.Logger.Level.ERROR, "transaction " + tx.hashHex() + " failed outside the EVM; dropped", e);
                    mempool.remove(tx);
                    continue;
                }
                if (r == null) {
                    // Interrupted, and rolled back: the block is sealed with what it has. A transaction that alone runs
                    // longer than any block may take is never offered again by this member.
                    if (first) {
                        LOG.log(System.Logger.Level.WARNING, "transaction " + tx.hashHex() + " runs longer than " + limit.toMillis()
                                + " ms; dropped");
                        mempool.remove(tx);
                        armedForFirst = false; // the next one gets the full per-transaction limit again
                        continue;
                    }
                    break;
                }
                if (r instanceof TxApplyResult.Included) {
                    bytes += size;
                    if (c.next() + 1 < c.txs().size()) queue.add(new Cursor(c.txs(), c.next() + 1));
                } else if (r instanceof TxApplyResult.Rejected rej) {
                    LOG.log(System.Logger.Level.DEBUG, () -> "transaction " + tx.hashHex() + " rejected: " + rej.reason() + " " + rej.detail());
                    mempool.remove(tx);
                }
                if (Thread.currentThread().isInterrupted()) {
                    break; // the deadline passed just as this transaction finished: it counts, the block is sealed
                }
            }
        }
        long sealing = nanoClock.getAsLong();
        ExecutedBlock block = session.finish();
        lastSealNanos = Math.max(0, nanoClock.getAsLong() - sealing);
        return block;
    }
}
