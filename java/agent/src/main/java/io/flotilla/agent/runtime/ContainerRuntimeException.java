package io.flotilla.agent.runtime;

/** The engine refused or failed a request; callers need not know which client library talks to it. */
public class ContainerRuntimeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ContainerRuntimeException(String message, Throwable cause) {
        super(message, cause);
    }
}
