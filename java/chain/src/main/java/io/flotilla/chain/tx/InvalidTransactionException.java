package io.flotilla.chain.tx;

/** A raw transaction that cannot be accepted; {@link #reason()} names why so callers can map it to RPC errors. */
public final class InvalidTransactionException extends Exception {
    /** Why decoding or signature checking failed. */
    public enum Reason {
        MALFORMED,
        UNSUPPORTED_TYPE,
        WRONG_CHAIN_ID,
        UNPROTECTED,
        INVALID_SIGNATURE
    }

    private final Reason reason;

    public InvalidTransactionException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
