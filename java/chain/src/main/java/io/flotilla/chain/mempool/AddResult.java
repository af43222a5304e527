package io.flotilla.chain.mempool;

import io.flotilla.chain.tx.SignedTransaction;

/** Outcome of offering a transaction to the pool. */
public sealed interface AddResult {
    record Added(SignedTransaction tx) implements AddResult {
    }

    record Replaced(SignedTransaction tx, SignedTransaction previous) implements AddResult {
    }

    record Rejected(Reason reason, String message) implements AddResult {
    }

    /** Messages follow geth's so wallets and libraries recognise them. */
    enum Reason {
        ALREADY_KNOWN("already known"),
        NONCE_TOO_LOW("nonce too low"),
        REPLACEMENT_UNDERPRICED("replacement transaction underpriced"),
        POOL_FULL("txpool is full"),
        SENDER_LIMIT("too many pending transactions from sender");

        public final String message;

        Reason(String message) {
            this.message = message;
        }
    }
}
