package io.flotilla.chain.execution;

/** A transaction refused at admission; the message is the one JSON-RPC clients expect (geth wording). */
public final class SubmissionException extends Exception {
    public SubmissionException(String message) {
        super(message);
    }
}
