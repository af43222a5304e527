package io.flotilla.chain.config;

/** An invalid or unreadable config; the message names the problem in one line. */
public class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }
}
