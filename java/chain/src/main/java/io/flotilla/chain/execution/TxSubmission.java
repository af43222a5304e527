package io.flotilla.chain.execution;

import io.flotilla.chain.mempool.AddResult;
import io.flotilla.chain.mempool.Mempool;
import io.flotilla.chain.tx.InvalidTransactionException;
import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.tx.TransactionProcessor;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Admission of raw transactions: decode, check against the latest state and the chain's rules, then pool.
 * Catching what the EVM would reject later gives the sender an immediate, specific error instead of a
 * transaction that silently never gets mined. Also keeps the pool in step with the chain (prunes on commit).
 */
public final class TxSubmission {
    private static final int MAX_INITCODE = 49_152;

    private final ChainState chain;
    private final Mempool mempool;
    private final List<Consumer<SignedTransaction>> listeners = new CopyOnWriteArrayList<>();
    private final List<java.util.function.BiConsumer<SignedTransaction, Boolean>> pooledListeners = new CopyOnWriteArrayList<>();

    public TxSubmission(ChainState chain, Mempool mempool) {
        this.chain = chain;
        this.mempool = mempool;
        chain.onCommit(b -> mempool.prune(b.block().transactions().stream().map(SignedTransaction::sender).distinct().toList(),
                a -> chain.account(a).nonce()));
    }

    /** Called with every newly pooled transaction, e.g. to wake a block producer. */
    public void onAccepted(Consumer<SignedTransaction> listener) {
        listeners.add(listener);
    }

    /**
     * Called with every newly pooled transaction, from a client ({@code true}) or a peer ({@code false}), before
     * {@link #submit} returns (e.g. to keep it durably before the client gets its hash).
     */
    public void onPooled(java.util.function.BiConsumer<SignedTransaction, Boolean> listener) {
        pooledListeners.add(listener);
    }

    public SignedTransaction submit(byte[] raw) throws SubmissionException {
        return submit(raw, true);
    }

    /**
     * @param announce whether the {@link #onAccepted} listeners hear of it; a transaction a peer passed on is pooled
     *     without being passed on again (every member is connected to every other one)
     */
    public SignedTransaction submit(byte[] raw, boolean announce) throws SubmissionException {
        ChainConfig config = chain.config();
        // Cheapest checks first: size before decoding, signature (the costly part) before anything that reads state.
        if (raw.length > config.maxTxBytes()) {
            throw new SubmissionException("oversized data: transaction of " + raw.length + " bytes exceeds the chain's limit of "
                    + config.maxTxBytes());
        }
        SignedTransaction tx;
        try {
            tx = chain.decoder().decode(raw);
        } catch (InvalidTransactionException e) {
            throw new SubmissionException(e.getMessage());
        }
        if (tx.gasLimit() > config.gasLimit()) throw new SubmissionException("exceeds block gas limit");
        if (tx.gasLimit() < TransactionProcessor.intrinsicGas(tx.toEvm())) throw new SubmissionException("intrinsic gas too low");
        if (tx.isCreate() && tx.data().length > MAX_INITCODE) throw new SubmissionException("max initcode size exceeded");
        if (tx.tipCap().compareTo(tx.feeCap()) > 0) throw new SubmissionException("max priority fee per gas higher than max fee per gas");
        if (tx.feeCap().compareTo(config.baseFee()) < 0) {
            throw new SubmissionException("transaction underpriced: gas price below the chain minimum " + config.minGasPrice());
        }
        if (tx.nonce() == -1L) throw new SubmissionException("nonce has max value");
        Account account = chain.account(tx.sender());
        if (tx.nonce() < account.nonce()) throw new SubmissionException("nonce too low");
        if (account.balance().toBigInteger().compareTo(tx.maxCost()) < 0) {
            throw new SubmissionException("insufficient funds for gas * price + value");
        }
        if (account.code().length != 0) throw new SubmissionException("sender not an eoa");
        AddResult result = mempool.add(tx, account.nonce(), account.balance().toBigInteger());
        if (result instanceof AddResult.Rejected r) throw new SubmissionException(r.message());
        for (java.util.function.BiConsumer<SignedTransaction, Boolean> l : pooledListeners) l.accept(tx, announce);
        if (announce) {
            for (Consumer<SignedTransaction> l : listeners) l.accept(tx);
        }
        return tx;
    }

    public Mempool mempool() {
        return mempool;
    }

}
