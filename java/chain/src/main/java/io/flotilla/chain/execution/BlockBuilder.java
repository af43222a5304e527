package io.flotilla.chain.execution;

import io.flotilla.chain.mempool.Mempool;
import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.evm.tx.TxRejection;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Builds a proposal on the current head from the mempool: each sender's transactions in nonce order, senders
 * interleaved by offered tip (highest first), until the block gas limit is reached. A sender whose next
 * transaction does not fit or is rejected is skipped for this block (its later nonces could not run anyway).
 */
public final class BlockBuilder {
    private static final long MIN_TX_GAS = 21_000;
    /** Rejections that no later state can cure: such transactions are dropped from the pool. */
    private static final Set<TxRejection> PERMANENT = EnumSet.of(TxRejection.INTRINSIC_GAS_TOO_LOW,
            TxRejection.GAS_ALLOWANCE_EXCEEDED, TxRejection.INSUFFICIENT_MAX_FEE_PER_GAS,
            TxRejection.PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS, TxRejection.INITCODE_SIZE_EXCEEDED,
            TxRejection.UNSUPPORTED_TYPE, TxRejection.NONCE_IS_MAX);

    private final ChainState chain;
    private final Mempool mempool;

    public BlockBuilder(ChainState chain, Mempool mempool) {
        this.chain = chain;
        this.mempool = mempool;
    }

    /** Executes a new block (not yet committed); may be empty. */
    public ExecutedBlock build(long timestamp, Address proposer, byte[] extraData) {
        BlockExecutor.Session session = chain.beginBlock(timestamp, proposer, extraData);
        BigInteger baseFee = chain.config().baseFee();
        Map<Address, List<SignedTransaction>> ready = mempool.ready(a -> chain.account(a).nonce());
        record Cursor(List<SignedTransaction> txs, int next) {
            SignedTransaction head() {
                return txs.get(next);
            }
        }
        PriorityQueue<Cursor> queue = new PriorityQueue<>(Comparator.comparing(
                (Cursor c) -> c.head().effectiveGasPrice(baseFee).subtract(baseFee)).reversed());
        for (List<SignedTransaction> run : ready.values()) queue.add(new Cursor(run, 0));
        while (!queue.isEmpty() && session.gasRemaining() >= MIN_TX_GAS) {
            Cursor c = queue.poll();
            SignedTransaction tx = c.head();
            TxApplyResult r = session.apply(tx);
            if (r instanceof TxApplyResult.Included) {
                if (c.next() + 1 < c.txs().size()) queue.add(new Cursor(c.txs(), c.next() + 1));
            } else if (r instanceof TxApplyResult.Rejected rej && PERMANENT.contains(rej.reason())) {
                mempool.remove(tx);
            }
        }
        return session.finish();
    }
}
