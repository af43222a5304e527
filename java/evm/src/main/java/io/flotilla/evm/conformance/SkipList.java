package io.flotilla.evm.conformance;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Excluded cases, one per line: {@code <test name or case-id prefix> <reason>}; '#' starts a comment.
 * A case is skipped when its test name equals an entry or its id starts with one.
 */
public final class SkipList {
    public static final String RESOURCE = "/conformance-skip.txt";
    private final Map<String, String> entries;

    private SkipList(Map<String, String> entries) {
        this.entries = entries;
    }

    public static SkipList load() {
        Map<String, String> entries = new LinkedHashMap<>();
        try (InputStream in = SkipList.class.getResourceAsStream(RESOURCE)) {
            if (in == null) return new SkipList(entries);
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) continue;
                String[] parts = line.split("\\s+", 2);
                entries.put(parts[0], parts.length > 1 ? parts[1] : "");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read skip list", e);
        }
        return new SkipList(entries);
    }

    public Map<String, String> entries() {
        return Map.copyOf(entries);
    }

    public Optional<String> reasonFor(StateTestCase c) {
        String byName = entries.get(c.testName());
        if (byName != null) return Optional.of(byName);
        for (Map.Entry<String, String> e : entries.entrySet()) {
            if (c.id().startsWith(e.getKey())) return Optional.of(e.getValue());
        }
        return Optional.empty();
    }
}
