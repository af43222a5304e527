package io.flotilla.agent.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flotilla.agent.reconcile.SubnodeConfigRenderer;
import io.flotilla.manager.ChainInfo;
import io.flotilla.manager.ChainType;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.Member;
import io.flotilla.manager.Rotation;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnNotWebApplication;
import org.springframework.stereotype.Component;
import org.web3j.utils.Convert;

/**
 * Developer commands, run as {@code ./flotilla chain <command>}:
 * <pre>
 *   chain create NAME --type TYPE [--lifetime 30d] [--image VERSION] [--consensus bft|hotstuff]
 *   chain list [--json]
 *   chain info NAME [--json]
 *   chain delete NAME
 *   chain upgrade NAME VERSION
 *   chain resize NAME --type TYPE
 * </pre>
 * Where the contracts are and which key pays: see {@link ManagerConnection}. Every write is simulated first, so a
 * refusal is one line naming the contract error and nothing is sent.
 */
@Component
@ConditionalOnNotWebApplication
class ChainCommands implements ApplicationRunner {

    static final String USAGE = "usage: chain create NAME --type TYPE [--lifetime 30d] [--image VERSION] [--consensus bft|hotstuff]"
            + " | chain list [--json] | chain info NAME [--json] | chain delete NAME | chain upgrade NAME VERSION | chain resize NAME --type TYPE";
    static final Duration DEFAULT_LIFETIME = Duration.ofDays(30);
    /** What genesis gives the chain owner on the sidechain (see SubnodeConfigRenderer). */
    static final String GENESIS_OWNER_BALANCE = "1,000,000";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern LIFETIME = Pattern.compile("([0-9]+)\\s*([smhdw]?)");

    @Override
    public void run(ApplicationArguments arguments) throws Exception {
        CliArgs args = new CliArgs(arguments, Set.of("json"));
        List<String> words = args.words();
        if (words.isEmpty() || !words.get(0).equals("chain")) {
            return; // another command
        }
        if (words.size() < 2) {
            throw new IllegalArgumentException(USAGE);
        }
        Set<String> known = new java.util.HashSet<>(ManagerConnection.OPTIONS);
        switch (words.get(1)) {
            case "create" -> known.addAll(Set.of("type", "lifetime", "image", "consensus"));
            case "resize" -> known.add("type");
            case "list", "info", "delete", "upgrade" -> { }
            default -> throw new IllegalArgumentException("unknown chain command '" + words.get(1) + "'; " + USAGE);
        }
        args.allowOnly(known);
        int expectedWords = switch (words.get(1)) {
            case "list" -> 2;
            case "upgrade" -> 4;
            default -> 3;
        };
        if (words.size() != expectedWords) {
            throw new IllegalArgumentException(USAGE);
        }
        // Check the arguments before touching the network.
        Duration lifetime = words.get(1).equals("create") ? lifetime(args.option("lifetime").orElse("30d")) : null;
        try (ManagerConnection c = ManagerConnection.open(args)) {
            switch (words.get(1)) {
                case "create" -> create(c, words.get(2), args, lifetime);
                case "list" -> list(c, args.flag("json"));
                case "info" -> info(c, words.get(2), args.flag("json"));
                case "delete" -> delete(c, words.get(2));
                case "upgrade" -> upgrade(c, words.get(2), words.get(3));
                case "resize" -> resize(c, words.get(2), args);
                default -> throw new IllegalStateException();
            }
        }
    }

    private void create(ManagerConnection c, String name, CliArgs args, Duration lifetime) {
        c.requireKey("chain create");
        String typeName = args.option("type").orElseThrow(() -> new IllegalArgumentException("chain create needs --type (e.g. --type dev4)"));
        List<ChainType> types = c.client.chainTypes();
        ChainType type = types.stream().filter(t -> t.name().equals(typeName) && t.enabled()).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown chain type '" + typeName + "' (types: "
                        + types.stream().filter(ChainType::enabled).map(t -> t.name() + " = " + t.nodeCount() + " nodes x " + t.unitsPerNode() + " units")
                                .collect(Collectors.joining(", ")) + ")"));
        long existing = c.client.chainIdOf(name);
        if (existing != 0) {
            throw new IllegalArgumentException("a chain named '" + name + "' already exists (id " + existing + "); names are never reused");
        }
        String image = args.option("image").or(() -> c.client.latestImageVersion("subnode"))
                .orElseThrow(() -> new IllegalArgumentException("no subnode image is published; pass --image VERSION"));
        String consensus = args.option("consensus").orElse("bft");
        BigInteger price = c.client.priceOf(type.name(), lifetime);
        long id = c.client.createSidechain(name, type.name(), lifetime, consensus, image);
        ChainInfo chain = c.client.chain(id);
        System.out.printf("created chain %s: id %d, EVM chain id %d (0x%x), type %s (%d nodes x %d units), until %s, paid %s ETH%n",
                name, id, evmChainId(id), evmChainId(id), type.name(), type.nodeCount(), type.unitsPerNode(), chain.expiresAt(), eth(price));
        System.out.printf("image %s (%s), consensus %s%n", chain.imageVersion(), chain.imageDigest(), chain.consensus());
        System.out.println("members (their agents start the subnodes within seconds):");
        for (Member m : c.client.membersOf(id)) {
            System.out.printf("  node %-3d %-15s JSON-RPC %s%n", m.nodeId(), m.ip(), rpcUrl(m));
        }
        System.out.printf("the owner %s holds %s ETH on the chain from genesis%n", chain.owner(), GENESIS_OWNER_BALANCE);
    }

    private void list(ManagerConnection c, boolean json) throws Exception {
        List<ChainInfo> chains = new ArrayList<>();
        for (long id = 1; id <= c.client.chainCount(); id++) {
            chains.add(c.client.chain(id));
        }
        if (json) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (ChainInfo chain : chains) {
                out.add(describe(c.client, chain, false));
            }
            System.out.println(JSON.writeValueAsString(out));
            return;
        }
        if (chains.isEmpty()) {
            System.out.println("no chains yet (create one: ./flotilla chain create NAME --type dev4)");
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "ID", "EVM CHAIN ID", "TYPE", "STATUS", "MEMBERS", "IMAGE", "EXPIRES", "OWNER"});
        for (ChainInfo chain : chains) {
            rows.add(new String[] {chain.name(), Long.toString(chain.id()), Long.toString(evmChainId(chain.id())), chain.typeName(),
                    chain.status().name(), Integer.toString(chain.members().size()), chain.imageVersion(), chain.expiresAt().toString(),
                    chain.owner() + (c.hasKey && chain.owner().equalsIgnoreCase(c.key.getAddress()) ? " (you)" : "")});
        }
        printTable(rows);
    }

    private void info(ManagerConnection c, String name, boolean json) throws Exception {
        ChainInfo chain = c.client.chainByName(name)
                .orElseThrow(() -> new IllegalArgumentException("no chain named '" + name + "' (see ./flotilla chain list)"));
        if (json) {
            System.out.println(JSON.writeValueAsString(describe(c.client, chain, true)));
            return;
        }
        long id = chain.id();
        System.out.printf("chain %s (id %d)%n", chain.name(), id);
        System.out.printf("  EVM chain id  %d (0x%x)%n", evmChainId(id), evmChainId(id));
        System.out.printf("  type          %s, %d units per node%n", chain.typeName(), chain.unitsPerNode());
        System.out.printf("  status        %s, created %s, expires %s%n", chain.status(), chain.createdAt(), chain.expiresAt());
        System.out.printf("  owner         %s (holds %s ETH on the chain from genesis)%n", chain.owner(), GENESIS_OWNER_BALANCE);
        System.out.printf("  consensus     %s%n", chain.consensus());
        System.out.printf("  image         %s (%s)%n", chain.imageVersion(), chain.imageDigest());
        if (chain.status() == ChainInfo.ChainStatus.ACTIVE) {
            System.out.println("  members       node, address, JSON-RPC endpoint");
            for (Member m : c.client.membersOf(id)) {
                System.out.printf("    node %-3d %s  %s%n", m.nodeId(), m.address(), rpcUrl(m));
            }
        } else {
            System.out.println("  members       none (the chain was removed)");
        }
        List<Rotation> rotations = c.client.rotationsOf(id);
        System.out.println("  rotations     " + (rotations.isEmpty() ? "none" : rotations.size()));
        for (Rotation r : rotations) {
            System.out.printf("    %s  node %d -> node %d  %s, the leaving subnode serves until %s%n",
                    r.startedAt(), r.leavingNode(), r.joiningNode(), r.reason(), r.finishAt());
        }
    }

    private void resize(ManagerConnection c, String name, CliArgs args) {
        c.requireKey("chain resize");
        String typeName = args.option("type").orElseThrow(() -> new IllegalArgumentException("chain resize needs --type (e.g. --type dev4)"));
        long id = c.client.chainIdOf(name);
        if (id == 0) {
            throw new IllegalArgumentException("no chain named '" + name + "' (see ./flotilla chain list)");
        }
        ChainInfo chain = c.client.chain(id);
        if (chain.status() != ChainInfo.ChainStatus.ACTIVE) {
            throw new IllegalArgumentException("chain '" + name + "' (id " + id + ") is not active (" + chain.status().name().toLowerCase() + ")");
        }
        if (!chain.owner().equalsIgnoreCase(c.key.getAddress())) {
            throw new IllegalArgumentException("chain '" + name + "' belongs to " + chain.owner() + ", not to " + c.key.getAddress());
        }
        List<ChainType> types = c.client.chainTypes();
        ChainType type = types.stream().filter(t -> t.name().equals(typeName) && t.enabled()).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown chain type '" + typeName + "' (types: "
                        + types.stream().filter(ChainType::enabled).map(t -> t.name() + " = " + t.nodeCount() + " nodes x " + t.unitsPerNode() + " units")
                                .collect(Collectors.joining(", ")) + ")"));
        BigInteger price = c.client.resizePrice(id, type.name());
        // The contract refuses the rest (same size, below the quorum, not enough nodes...): one line naming its error.
        c.client.resizeSidechain(id, type.name());
        ChainInfo after = c.client.chain(id);
        System.out.printf("resized chain %s (id %d) from %s (%d nodes x %d units) to %s (%d nodes x %d units), %s %s ETH%n",
                name, id, chain.typeName(), chain.members().size(), chain.unitsPerNode(), after.typeName(), after.members().size(),
                after.unitsPerNode(), price.signum() >= 0 ? "paid about" : "refunded about", eth(price.abs()));
        System.out.println("members (new ones catch up and join at a height the chain records):");
        for (Member m : c.client.membersOf(id)) {
            System.out.printf("  node %-3d %-15s JSON-RPC %s%n", m.nodeId(), m.ip(), rpcUrl(m));
        }
    }

    private void delete(ManagerConnection c, String name) {
        c.requireKey("chain delete");
        long id = c.client.chainIdOf(name);
        if (id == 0) {
            throw new IllegalArgumentException("no chain named '" + name + "' (see ./flotilla chain list)");
        }
        ChainInfo chain = c.client.chain(id);
        if (chain.status() != ChainInfo.ChainStatus.ACTIVE) {
            throw new IllegalArgumentException("chain '" + name + "' (id " + id + ") is already removed");
        }
        if (!chain.owner().equalsIgnoreCase(c.key.getAddress())) {
            throw new IllegalArgumentException("chain '" + name + "' belongs to " + chain.owner() + ", not to " + c.key.getAddress());
        }
        c.client.deleteSidechain(id);
        System.out.printf("deleted chain %s (id %d); its subnodes stop within seconds, nothing is refunded, the name stays taken%n", name, id);
    }

    /**
     * Moves the caller's chain to a newer published image version; the contracts check the rest (published, not
     * revoked, a subnode image, newer) and a refusal is one line naming their error.
     */
    private void upgrade(ManagerConnection c, String name, String version) {
        c.requireKey("chain upgrade");
        long id = c.client.chainIdOf(name);
        if (id == 0) {
            throw new IllegalArgumentException("no chain named '" + name + "' (see ./flotilla chain list)");
        }
        ChainInfo chain = c.client.chain(id);
        if (!chain.owner().equalsIgnoreCase(c.key.getAddress())) {
            throw new IllegalArgumentException("chain '" + name + "' belongs to " + chain.owner() + ", not to " + c.key.getAddress());
        }
        c.client.changeImage(id, version);
        ChainInfo moved = c.client.chain(id);
        System.out.printf("chain %s (id %d) moves from image %s to %s (%s); its members' agents take it one at a time, and a member"
                + " on which it does not finalize goes back to %s (docs/agent.md, \"Image rollout\")%n", name, id, chain.imageVersion(),
                moved.imageVersion(), moved.imageDigest(), chain.imageVersion());
    }

    /** A chain as JSON: what a script needs to reach it. */
    static Map<String, Object> describe(ManagerClient client, ChainInfo chain, boolean withRotations) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", chain.name());
        out.put("id", chain.id());
        out.put("chainId", evmChainId(chain.id()));
        out.put("type", chain.typeName());
        out.put("unitsPerNode", chain.unitsPerNode());
        out.put("status", chain.status().name());
        out.put("owner", chain.owner());
        out.put("createdAt", chain.createdAt().toString());
        out.put("expiresAt", chain.expiresAt().toString());
        out.put("consensus", chain.consensus());
        out.put("image", Map.of("version", chain.imageVersion(), "digest", chain.imageDigest()));
        List<Map<String, Object>> members = new ArrayList<>();
        if (chain.status() == ChainInfo.ChainStatus.ACTIVE) {
            for (Member m : client.membersOf(chain.id())) {
                Map<String, Object> member = new LinkedHashMap<>();
                member.put("nodeId", m.nodeId());
                member.put("address", m.address());
                member.put("ip", m.ip());
                member.put("rpcUrl", rpcUrl(m));
                members.add(member);
            }
        }
        out.put("members", members);
        if (withRotations) {
            List<Map<String, Object>> rotations = new ArrayList<>();
            for (Rotation r : client.rotationsOf(chain.id())) {
                rotations.add(Map.of("leavingNode", r.leavingNode(), "joiningNode", r.joiningNode(), "reason", r.reason().name(),
                        "startedAt", r.startedAt().toString(), "finishAt", r.finishAt().toString()));
            }
            out.put("rotations", rotations);
        }
        return out;
    }

    static long evmChainId(long chainId) {
        return io.flotilla.subnode.config.SubnodeConfig.EVM_CHAIN_ID_BASE + chainId;
    }

    static String rpcUrl(Member m) {
        return "http://" + m.ip() + ":" + (m.firstPort() + io.flotilla.subnode.config.PortLayout.RPC_HTTP);
    }

    /** "30d", "12h", "90m", "3600s", "2w" or plain seconds. */
    static Duration lifetime(String text) {
        Matcher m = LIFETIME.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("--lifetime: not a duration: '" + text + "' (e.g. 3600, 90m, 12h, 30d, 2w)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "", "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            case "w" -> Duration.ofDays(7 * n);
            default -> throw new IllegalStateException();
        };
    }

    static String eth(BigInteger wei) {
        return Convert.fromWei(new BigDecimal(wei), Convert.Unit.ETHER).stripTrailingZeros().toPlainString();
    }

    static void printTable(List<String[]> rows) {
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + (widths[i] + 2) + "s", row[i]));
            }
            System.out.println(line.toString().stripTrailing());
        }
    }
}
