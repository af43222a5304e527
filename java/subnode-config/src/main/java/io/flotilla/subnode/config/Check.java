package io.flotilla.subnode.config;

import java.util.regex.Pattern;

/** Checks of single values; each failure is a {@link ConfigException} naming the field. */
final class Check {

    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}");

    private Check() {}

    static void notNull(String field, Object value) {
        if (value == null) throw new ConfigException(field, "is missing");
    }

    static void text(String field, String value) {
        if (value == null || value.isBlank()) throw new ConfigException(field, "is missing or empty");
    }

    static String address(String field, String value) {
        notNull(field, value);
        if (!ADDRESS.matcher(value).matches()) throw new ConfigException(field, "is not an address (0x and 40 hex digits): " + value);
        return value.toLowerCase();
    }

    static void ipv4(String field, String value) {
        notNull(field, value);
        if (!IPV4.matcher(value).matches()) throw new ConfigException(field, "is not an IPv4 address: " + value);
    }

    static void nonNegative(String field, long value) {
        if (value < 0) throw new ConfigException(field, "must not be negative: " + value);
    }

    static void positive(String field, long value) {
        if (value <= 0) throw new ConfigException(field, "must be positive: " + value);
    }

    static void range(String field, long value, long min, long max) {
        if (value < min || value > max) throw new ConfigException(field, "must be from " + min + " to " + max + ": " + value);
    }
}
