package io.flotilla.agent.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.springframework.boot.ApplicationArguments;

/**
 * The command line of one CLI command: words (the command and its positional arguments) and options
 * ({@code --name value} or {@code --name=value}; the last one wins). Options listed as flags take no value.
 */
final class CliArgs {

    private final String[] raw;
    private final Set<String> flags;

    CliArgs(ApplicationArguments args, Set<String> flags) {
        this.raw = args.getSourceArgs();
        this.flags = flags;
    }

    /** Arguments that are neither options nor option values. */
    List<String> words() {
        List<String> words = new ArrayList<>();
        for (int i = 0; i < raw.length; i++) {
            if (raw[i].startsWith("--")) {
                if (!raw[i].contains("=") && !flags.contains(raw[i].substring(2)) && i + 1 < raw.length && !raw[i + 1].startsWith("--")) {
                    i++;
                }
            } else {
                words.add(raw[i]);
            }
        }
        return words;
    }

    Optional<String> option(String name) {
        Optional<String> found = Optional.empty();
        for (int i = 0; i < raw.length; i++) {
            if (raw[i].startsWith("--" + name + "=")) {
                found = Optional.of(raw[i].substring(name.length() + 3));
            } else if (raw[i].equals("--" + name) && i + 1 < raw.length && !raw[i + 1].startsWith("--")) {
                found = Optional.of(raw[++i]);
            } else if (raw[i].equals("--" + name)) {
                throw new IllegalArgumentException("--" + name + " needs a value");
            }
        }
        return found.map(String::strip);
    }

    /** The option, else the environment variable, else empty. */
    Optional<String> option(String name, String environmentVariable) {
        Optional<String> value = option(name);
        if (value.isPresent()) {
            return value;
        }
        String env = System.getenv(environmentVariable);
        return env == null || env.isBlank() ? Optional.empty() : Optional.of(env.strip());
    }

    boolean flag(String name) {
        for (String a : raw) {
            if (a.equals("--" + name) || a.equals("--" + name + "=true")) {
                return true;
            }
        }
        return false;
    }

    /** Refuses options the command does not know, so a typo is not silently ignored. */
    void allowOnly(Set<String> known) {
        for (String a : raw) {
            if (a.startsWith("--")) {
                String name = a.substring(2).split("=", 2)[0];
                if (!known.contains(name) && !flags.contains(name) && !name.startsWith("spring.") && !name.startsWith("logging.")) {
                    throw new IllegalArgumentException("unknown option --" + name);
                }
            }
        }
    }
}
