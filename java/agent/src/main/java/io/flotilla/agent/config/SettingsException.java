package io.flotilla.agent.config;

/** A missing or invalid setting; the message names it in one line. */
public class SettingsException extends RuntimeException {

    public SettingsException(String message) {
        super(message);
    }
}
