package io.flotilla.manager;

/** A call to the manager contracts failed; the message names the contract error or the transport problem. */
public class ManagerException extends RuntimeException {

    public ManagerException(String message) {
        super(message);
    }

    public ManagerException(String message, Throwable cause) {
        super(message, cause);
    }
}
