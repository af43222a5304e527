package io.flotilla.chain.mempool;

import io.flotilla.chain.tx.SignedTransaction;
import java.util.List;

/** Outcome of offering a transaction to the pool. */
public sealed interface AddResult {
    /** Pooled; {@code evicted} lists the cheaper or stuck transactions it displaced from a full pool. */
    record Added(SignedTransaction tx, List<SignedTransaction> evicted) implements AddResult {
        public Added(SignedTransaction tx) {
            this(tx, List.of());
        }
    }

    record Replaced(SignedTransaction tx, SignedTransaction previous) implements AddResult {
    }

    record Rejected(Reason reason, String message) implements AddResult {
    }

    /** Messages follow geth's so wallets and libraries recognise them. */
    enum Reason {
        ALREADY_KNOWN("already known"),
        NONCE_TOO_LOW("nonce too low"),
        NONCE_TOO_HIGH("nonce too high"),
        REPLACEMENT_UNDERPRICED("replacement transaction underpriced"),
        INSUFFICIENT_FUNDS("insufficient funds for gas * price + value"),
        POOL_FULL("txpool is full"),
        SENDER_LIMIT("too many pending transactions from sender");

        public final String message;

        Reason(String message) {
            this.message = message;
        }
    }
}
