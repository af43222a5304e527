package io.flotilla.chain.execution;

/** A proposed or received block that does not follow from the current head. */
public final class InvalidBlockException extends Exception {
    public InvalidBlockException(String message) {
        super(message);
    }
}
