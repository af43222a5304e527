package io.flotilla.agent.isolation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The uids of a node's subnodes: base + slot for the 128 slots, each subnode its own uid and gid. None may be a uid
 * or gid the host uses: not in /etc/passwd or /etc/group, not in a range of /etc/subuid or /etc/subgid (user
 * namespaces of the host's users), not root, not nobody.
 */
public final class SubnodeUids {

    public static final int SLOTS = 128;
    /** Below this, uids belong to the host's system and regular users (and nobody, 65534). */
    public static final int LOWEST_BASE = 100_000;

    private SubnodeUids() {}

    public static int of(int base, int slot) {
        if (slot < 0 || slot >= SLOTS) {
            throw new IllegalArgumentException("slot out of range: " + slot);
        }
        return base + slot;
    }

    /** Why {@code base} cannot be used on this host, empty when it can. */
    public static Optional<String> conflict(int base, Path etc) {
        long last = (long) base + SLOTS - 1;
        if (base < LOWEST_BASE || last > Integer.MAX_VALUE - 1) {
            return Optional.of("must be between " + LOWEST_BASE + " and " + (Integer.MAX_VALUE - SLOTS) + ", got " + base);
        }
        for (String file : List.of("passwd", "group")) {
            for (String line : lines(etc.resolve(file))) {
                String[] f = line.split(":");
                if (f.length > 2 && f[2].matches("\\d{1,10}")) {
                    long id = Long.parseLong(f[2]);
                    if (id >= base && id <= last) {
                        return Optional.of("uids " + base + "-" + last + " include " + id + " of " + f[0] + " in /etc/" + file);
                    }
                }
            }
        }
        for (String file : List.of("subuid", "subgid")) {
            for (String line : lines(etc.resolve(file))) {
                String[] f = line.split(":");
                if (f.length > 2 && f[1].matches("\\d{1,10}") && f[2].matches("\\d{1,10}")) {
                    long start = Long.parseLong(f[1]);
                    long end = start + Long.parseLong(f[2]) - 1;
                    if (start <= last && end >= base) {
                        return Optional.of("uids " + base + "-" + last + " overlap " + f[0] + "'s range " + start + "-" + end
                                + " in /etc/" + file);
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }
}
