package io.flotilla.subnode.config;

/**
 * An invalid or unreadable subnode config. The message is one line that names the offending field (a JSON path such
 * as {@code members[2].ports.consensus}) and the value.
 */
public class ConfigException extends RuntimeException {

    private final String field;

    /** A problem not tied to one field (an unreadable file, not a JSON object). */
    public ConfigException(String message) {
        super(message);
        this.field = "";
    }

    /** {@code field} is the JSON path of the offending value; {@code problem} says what is wrong with it. */
    public ConfigException(String field, String problem) {
        super("config: " + field + " " + problem);
        this.field = field;
    }

    /** The JSON path of the offending value; empty when the problem is not one field's. */
    public String field() {
        return field;
    }

    /** The same problem, with its field inside {@code parent} (e.g. "members[2]"). */
    ConfigException within(String parent) {
        if (field.isEmpty()) return this;
        String problem = getMessage().substring(("config: " + field + " ").length());
        return new ConfigException(parent + "." + field, problem);
    }
}
