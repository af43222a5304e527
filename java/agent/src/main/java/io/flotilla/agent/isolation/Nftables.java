package io.flotilla.agent.isolation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.agent.plan.FirewallState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The agent's nftables table, through the {@code nft} command (scripts on standard input, state read back as JSON).
 * Needs CAP_NET_ADMIN: the agent runs as root on a validator server.
 */
public final class Nftables {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TIMEOUT_SECONDS = 20;

    private final Path nft;
    private final FirewallRules rules;

    public Nftables(Path nft, FirewallRules rules) {
        this.nft = nft;
        this.rules = rules;
    }

    /** The {@code nft} binary on the usual paths, empty when there is none. */
    public static Optional<Path> locate() {
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            Path p = Path.of(dir, "nft");
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    public FirewallRules rules() {
        return rules;
    }

    /** Why the firewall cannot be managed here (no nft, no CAP_NET_ADMIN), empty when it can. */
    public Optional<String> unusable() {
        try {
            Result r = run(null, "list", "tables");
            return r.exit == 0 ? Optional.empty() : Optional.of("nft list tables failed: " + r.output.strip());
        } catch (UncheckedIOException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** The slot chains of the table as installed, empty when the table does not exist. */
    public FirewallState read() {
        Result r = run(null, "-j", "list", "table", "inet", rules.table());
        if (r.exit != 0) {
            if (r.output.contains("No such file or directory")) {
                return FirewallState.EMPTY;
            }
            throw new IllegalStateException("nft list table inet " + rules.table() + " failed: " + r.output.strip());
        }
        return parse(r.output);
    }

    static FirewallState parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("nft printed no JSON: " + e.getMessage(), e);
        }
        Map<Integer, Long> chainIds = new HashMap<>();
        Map<Integer, String> fingerprints = new HashMap<>();
        Map<Integer, Set<Integer>> uids = new HashMap<>();
        Set<Integer> slots = new HashSet<>();
        for (JsonNode item : root.path("nftables")) {
            if (item.has("chain")) {
                slot(item.get("chain").path("name").asText()).ifPresent(slots::add);
            } else if (item.has("rule")) {
                JsonNode rule = item.get("rule");
                Optional<Integer> slot = slot(rule.path("chain").asText());
                String comment = rule.path("comment").asText("");
                if (slot.isPresent() && comment.startsWith(FirewallRules.LABEL_PREFIX)) {
                    String[] parts = comment.substring(FirewallRules.LABEL_PREFIX.length()).split(" rules=", 2);
                    try {
                        chainIds.put(slot.get(), Long.parseLong(parts[0]));
                    } catch (NumberFormatException e) {
                        chainIds.put(slot.get(), -1L);
                    }
                    fingerprints.put(slot.get(), parts.length > 1 ? parts[1] : "");
                }
            } else if (item.has("map") && FirewallRules.MAP.equals(item.get("map").path("name").asText())) {
                for (JsonNode elem : item.get("map").path("elem")) {
                    int uid = elem.path(0).asInt(-1);
                    Optional<Integer> slot = slot(elem.path(1).path("jump").path("target").asText());
                    if (uid >= 0 && slot.isPresent()) {
                        uids.computeIfAbsent(slot.get(), k -> new HashSet<>()).add(uid);
                    }
                }
            }
        }
        Map<Integer, FirewallState.Installed> installed = new HashMap<>();
        for (int slot : slots) {
            installed.put(slot, new FirewallState.Installed(chainIds.getOrDefault(slot, -1L), fingerprints.getOrDefault(slot, ""),
                    uids.getOrDefault(slot, Set.of())));
        }
        return new FirewallState(installed);
    }

    private static Optional<Integer> slot(String chain) {
        if (chain == null || !chain.startsWith(FirewallRules.SLOT_PREFIX)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Integer.parseInt(chain.substring(FirewallRules.SLOT_PREFIX.length())));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Runs one script as a single transaction: all of it takes effect, or none. */
    public void apply(String script) {
        Result r = run(script, "-f", "-");
        if (r.exit != 0) {
            throw new IllegalStateException("nft refused the rules of table inet " + rules.table() + ": " + r.output.strip());
        }
    }

    /** Deletes the whole table; does nothing when it is gone. */
    public void deleteTable() {
        Result r = run(null, "delete", "table", "inet", rules.table());
        if (r.exit != 0 && !r.output.contains("No such file or directory")) {
            throw new IllegalStateException("nft delete table inet " + rules.table() + " failed: " + r.output.strip());
        }
    }

    private record Result(int exit, String output) {}

    private Result run(String stdin, String... args) {
        List<String> command = new java.util.ArrayList<>();
        command.add(nft.toString());
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new UncheckedIOException(new IOException(nft + " did not finish within " + TIMEOUT_SECONDS + " s"));
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + nft + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running nft", e);
        }
    }
}
