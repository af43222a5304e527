package io.flotilla.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.manager.ChainInfo;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.Member;
import io.flotilla.manager.NodeInfo;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.autoconfigure.condition.ConditionalOnNotWebApplication;
import org.springframework.stereotype.Component;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Wallet;
import org.web3j.crypto.WalletFile;

/**
 * The Java half of {@code ./flotilla devnet} (the launcher starts and stops processes; this part talks to the
 * contracts, the agents and the subnodes):
 * <pre>
 *   devnet init --dir D --nodes N      validators and nodes registered, keys and agent settings written under D
 *   devnet status --dir D [--json]     nodes, agents, chains, members, subnodes, block heights
 *   devnet wait-chain NAME --dir D [--timeout 300] [--urls-out F]   until every member serves the same block 1
 *   devnet summary --dir D --chain NAME              what to use, printed at the end of devnet up
 * </pre>
 * Accounts: Hardhat development account 0 deployed the contracts, 1..N are the validators, 19 is the developer
 * (it pays for chains, so it owns them and genesis funds it on each). Node i binds 127.0.0.(10+i), ports from
 * 20000, and serves its agent status on 127.0.0.(10+i):8080.
 */
@Component
@ConditionalOnNotWebApplication
class DevnetCommands implements ApplicationRunner {

    static final int BASE_PORT = 20000;
    static final int STATUS_PORT = 8080;
    /** What each devnet node declares: a dev4 subnode (8 of 128 units) gets 1 core and 512 MiB. */
    static final int CPU_MILLICORES = 16_000;
    static final long MEMORY_MIB = 8192;
    static final long DISK_GIB = 100;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Override
    public void run(ApplicationArguments arguments) throws Exception {
        CliArgs args = new CliArgs(arguments, Set.of("json"));
        List<String> words = args.words();
        if (words.isEmpty() || !words.get(0).equals("devnet")) {
            return; // another command
        }
        if (words.size() < 2) {
            throw new IllegalArgumentException("usage: devnet init|status|wait-chain|summary --dir DIR");
        }
        Path dir = Path.of(args.option("dir").orElse(".devnet")).toAbsolutePath();
        switch (words.get(1)) {
            case "init" -> init(args, dir, Integer.parseInt(args.option("nodes").orElse("6")));
            case "status" -> status(args, dir, args.flag("json"));
            case "wait-chain" -> waitChain(args, dir, words.size() > 2 ? words.get(2) : "demo",
                    Duration.ofSeconds(Long.parseLong(args.option("timeout").orElse("300"))), args.option("urls-out").map(Path::of));
            case "summary" -> summary(args, dir, args.option("chain").orElse("demo"));
            default -> throw new IllegalArgumentException("unknown devnet command '" + words.get(1) + "'");
        }
    }

    // ------------------------------------------------------------------ init

    private void init(CliArgs args, Path dir, int count) throws Exception {
        if (count < 4 || count > DevAccounts.MAX_VALIDATORS) {
            throw new IllegalArgumentException("--nodes must be between 4 (a dev4 chain needs four) and " + DevAccounts.MAX_VALIDATORS);
        }
        Files.createDirectories(dir);
        try (ManagerConnection c = ManagerConnection.open(args)) {
            Credentials developer = DevAccounts.account(DevAccounts.DEVELOPER);
            Path developerKey = dir.resolve("developer.key");
            writeSecret(developerKey, DevAccounts.privateKeyHex(developer) + "\n");

            ObjectNode root = JSON.createObjectNode();
            root.put("createdAt", Instant.now().toString());
            root.put("rpcUrl", c.rpcUrl);
            root.put("addressBook", c.addressBookFile.toAbsolutePath().toString());
            ObjectNode dev = root.putObject("developer");
            dev.put("account", DevAccounts.DEVELOPER);
            dev.put("address", developer.getAddress());
            dev.put("privateKeyFile", developerKey.toString());
            ArrayNode nodes = root.putArray("nodes");
            StringBuilder table = new StringBuilder();
            for (int i = 1; i <= count; i++) {
                nodes.add(registerNode(c, dir, i, table));
            }
            Files.writeString(dir.resolve("devnet.json"), JSON.writeValueAsString(root) + "\n");
            Files.writeString(dir.resolve("nodes.tsv"), table.toString());
        }
    }

    private ObjectNode registerNode(ManagerConnection c, Path dir, int i, StringBuilder table) throws Exception {
        String ip = "127.0.0." + (10 + i);
        String name = "devnet-node-" + i;
        Path nodeDir = Files.createDirectories(dir.resolve("nodes").resolve("node-" + i));
        Path password = nodeDir.resolve("node-key.password");
        Path keystore = nodeDir.resolve("node-key.json");
        String secret = HexFormat.of().formatHex(java.security.SecureRandom.getInstanceStrong().generateSeed(16));
        writeSecret(password, secret + "\n");
        ECKeyPair pair = Keys.createEcKeyPair();
        // Standard V3 scrypt (N = 2^18): the operator key stays in the agent; subnodes get the agent's consensus key.
        WalletFile wallet = Wallet.createStandard(secret, pair);
        writeSecret(keystore, new ObjectMapper().writeValueAsString(wallet));
        Credentials nodeKey = Credentials.create(pair);

        Credentials validatorKey = DevAccounts.account(i);
        ManagerClient validator = new ManagerClient(c.web3j, validatorKey, c.book);
        long validatorId = validator.validatorIdOf(validatorKey.getAddress());
        if (validatorId == 0) {
            validator.registerValidator("devnet-validator-" + i, 0, ether(2));
            validatorId = validator.validatorIdOf(validatorKey.getAddress());
        }
        validator.linkNodeAddress(validatorId, nodeKey);
        validator.sendEther(nodeKey.getAddress(), ether(1));
        ManagerClient node = new ManagerClient(c.web3j, nodeKey, c.book);
        long nodeId = node.createNode(name, ip, BASE_PORT, "", CPU_MILLICORES, MEMORY_MIB, DISK_GIB);
        Path dataDir = Files.createDirectories(nodeDir.resolve("data"));
        // The node's consensus key, in the agent's data directory, registered before any chain is placed on the node.
        node.setConsensusKey(nodeId, io.flotilla.agent.node.ConsensusKey.loadOrCreate(dataDir).credentials());
        String statusUrl = "http://" + ip + ":" + STATUS_PORT + "/api/v1/node";
        System.out.printf("  node %d %s on %s:%d (validator %d = account %d %s, node key %s)%n", nodeId, name, ip, BASE_PORT, validatorId, i,
                validatorKey.getAddress(), nodeKey.getAddress());

        List<String> agentArgs = List.of(
                "--flotilla.agent.manager-rpc-url=" + c.rpcUrl,
                "--flotilla.agent.address-book=" + c.addressBookFile.toAbsolutePath(),
                "--flotilla.agent.keystore=" + keystore,
                "--flotilla.agent.password-file=" + password,
                "--flotilla.agent.ip=" + ip,
                "--flotilla.agent.base-port=" + BASE_PORT,
                "--flotilla.agent.capacity.cpu-millicores=" + CPU_MILLICORES,
                "--flotilla.agent.capacity.memory-mib=" + MEMORY_MIB,
                "--flotilla.agent.capacity.disk-gib=" + DISK_GIB,
                "--flotilla.agent.reserve.cpu-millicores=0",
                "--flotilla.agent.reserve.memory-mib=0",
                "--flotilla.agent.reserve.disk-gib=0",
                "--flotilla.agent.data-dir=" + dataDir,
                "--flotilla.agent.volume-grace-period=1m",
                // The devnet's nodes share one host: each its own range of subnode uids and its own firewall table.
                "--flotilla.agent.subnode-uid-base=" + (200_000 + 1000 * i),
                "--flotilla.agent.firewall-table=flotilla_devnet_" + i,
                "--server.address=" + ip,
                "--server.port=" + STATUS_PORT);
        Files.writeString(nodeDir.resolve("agent.args"), String.join("\n", agentArgs) + "\n");
        table.append(i).append('\t').append(nodeId).append('\t').append(ip).append('\t').append(nodeDir).append('\n');

        ObjectNode out = JSON.createObjectNode();
        out.put("index", i);
        out.put("id", nodeId);
        out.put("name", name);
        out.put("ip", ip);
        out.put("basePort", BASE_PORT);
        out.put("statusUrl", statusUrl);
        out.put("nodeAddress", nodeKey.getAddress());
        out.put("validator", validatorKey.getAddress());
        out.put("dir", nodeDir.toString());
        return out;
    }

    // ------------------------------------------------------------------ status

    private void status(CliArgs args, Path dir, boolean json) throws Exception {
        JsonNode devnet = readDevnet(dir);
        try (ManagerConnection c = ManagerConnection.open(args)) {
            ObjectNode doc = collect(c, dir, devnet);
            if (json) {
                System.out.println(JSON.writeValueAsString(doc));
            } else {
                printStatus(doc);
            }
        }
    }

    /** Everything status shows, as one JSON document. */
    private ObjectNode collect(ManagerConnection c, Path dir, JsonNode devnet) throws Exception {
        ObjectNode doc = JSON.createObjectNode();
        ObjectNode ethereum = doc.putObject("ethereum");
        ethereum.put("rpcUrl", c.rpcUrl);
        ethereum.put("chainId", c.book.chainId());
        ethereum.put("blockNumber", c.client.blockNumber());
        ethereum.put("addressBook", c.addressBookFile.toString());
        ethereum.put("sidechainManager", c.book.address("SidechainManager"));
        readPid(dir.resolve("ethereum.pid")).ifPresent(pid -> ethereum.put("pid", pid));
        c.client.latestImageVersion("subnode").ifPresent(v -> {
            ObjectNode image = doc.putObject("image");
            image.put("version", v);
            image.put("digest", c.client.imageDigest(v));
        });

        Credentials developer = DevAccounts.account(DevAccounts.DEVELOPER);
        ObjectNode dev = doc.putObject("developer");
        dev.put("address", developer.getAddress());
        dev.put("privateKey", DevAccounts.privateKeyHex(developer));
        dev.put("ethereumBalanceWei", c.client.balance(developer.getAddress()).toString());
        dev.put("note", "development only: a public Hardhat key; never send real funds to it");

        Map<Long, List<JsonNode>> subnodesByNode = new LinkedHashMap<>();
        ArrayNode nodes = doc.putArray("nodes");
        for (JsonNode n : devnet.path("nodes")) {
            long id = n.get("id").asLong();
            ObjectNode node = nodes.addObject();
            node.put("id", id);
            node.put("name", n.get("name").asText());
            node.put("ip", n.get("ip").asText());
            node.put("basePort", n.get("basePort").asInt());
            NodeInfo info = c.client.node(id);
            node.put("status", info.status().name() + (info.incompliant() ? " INCOMPLIANT" : ""));
            node.put("freeUnits", info.freeUnits());
            ObjectNode agent = node.putObject("agent");
            Path nodeDir = Path.of(n.get("dir").asText());
            Optional<Long> pid = readPid(nodeDir.resolve("agent.pid"));
            agent.put("pid", pid.orElse(0L));
            agent.put("running", pid.flatMap(ProcessHandle::of).map(ProcessHandle::isAlive).orElse(false));
            agent.put("statusUrl", n.get("statusUrl").asText());
            agent.put("log", nodeDir.resolve("agent.log").toString());
            Optional<JsonNode> health = getJson(n.get("statusUrl").asText());
            agent.put("health", health.map(h -> h.path("health").asText()).orElse("UNREACHABLE"));
            health.ifPresent(h -> agent.set("problems", h.path("problems")));
            List<JsonNode> subnodes = new ArrayList<>();
            getJson(n.get("statusUrl").asText().replace("/api/v1/node", "/api/v1/subnodes")).ifPresent(list -> list.forEach(subnodes::add));
            subnodesByNode.put(id, subnodes);
            agent.put("subnodes", subnodes.size());
        }

        ArrayNode chains = doc.putArray("chains");
        for (long id = 1; id <= c.client.chainCount(); id++) {
            ChainInfo chain = c.client.chain(id);
            ObjectNode out = chains.addObject();
            out.put("name", chain.name());
            out.put("id", id);
            out.put("chainId", ChainCommands.evmChainId(id));
            out.put("type", chain.typeName());
            out.put("status", chain.status().name());
            out.put("owner", chain.owner());
            out.put("expiresAt", chain.expiresAt().toString());
            out.put("imageVersion", chain.imageVersion());
            Optional<Credentials> funded = chain.owner().equalsIgnoreCase(developer.getAddress())
                    ? Optional.of(developer) : DevAccounts.byAddress(chain.owner());
            out.put("fundedAccount", chain.owner());
            if (funded.isPresent()) {
                out.put("fundedPrivateKey", DevAccounts.privateKeyHex(funded.get()));
            } else {
                out.putNull("fundedPrivateKey");
            }
            ArrayNode members = out.putArray("members");
            if (chain.status() != ChainInfo.ChainStatus.ACTIVE) {
                continue;
            }
            for (Member m : c.client.membersOf(id)) {
                ObjectNode member = members.addObject();
                member.put("nodeId", m.nodeId());
                member.put("ip", m.ip());
                member.put("rpcUrl", ChainCommands.rpcUrl(m));
                String state = "NONE";
                for (JsonNode s : subnodesByNode.getOrDefault(m.nodeId(), List.of())) {
                    if (s.path("chainId").asLong() == id) {
                        state = s.path("state").asText();
                        member.put("container", s.path("container").asText());
                        if (!s.path("error").isNull() && !s.path("error").asText().isEmpty()) {
                            member.put("error", s.path("error").asText());
                        }
                    }
                }
                member.put("subnode", subnodesByNode.containsKey(m.nodeId()) ? state : "UNKNOWN (not a devnet node)");
                Optional<JsonNode> head = rpc(ChainCommands.rpcUrl(m), "eth_getBlockByNumber", "[\"latest\",false]");
                if (head.isPresent()) {
                    member.put("blockNumber", Long.decode(head.get().path("number").asText()));
                    member.put("blockHash", head.get().path("hash").asText());
                } else {
                    member.putNull("blockNumber");
                    member.putNull("blockHash");
                }
            }
        }
        if (Files.isRegularFile(dir.resolve("sample.json"))) {
            doc.set("sample", JSON.readTree(Files.readString(dir.resolve("sample.json"))));
        }
        return doc;
    }

    private void printStatus(JsonNode doc) {
        JsonNode eth = doc.get("ethereum");
        System.out.printf("Ethereum   %s  chain id %d  block %d%s%n", eth.get("rpcUrl").asText(), eth.get("chainId").asLong(),
                eth.get("blockNumber").asLong(), eth.has("pid") ? "  (Hardhat node, pid " + eth.get("pid").asLong() + ")" : "");
        System.out.printf("contracts  SidechainManager %s (address book %s)%n", eth.get("sidechainManager").asText(), eth.get("addressBook").asText());
        if (doc.has("image")) {
            System.out.printf("image      %s (%s)%n", doc.get("image").get("version").asText(), doc.get("image").get("digest").asText());
        }
        System.out.printf("developer  %s  private key %s  (development only)%n", doc.get("developer").get("address").asText(),
                doc.get("developer").get("privateKey").asText());
        System.out.println();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NODE", "NAME", "IP", "STATUS", "FREE UNITS", "AGENT", "SUBNODES", "STATUS URL"});
        for (JsonNode n : doc.get("nodes")) {
            JsonNode a = n.get("agent");
            String agent = (a.get("running").asBoolean() ? "pid " + a.get("pid").asLong() : "not running") + ", " + a.get("health").asText();
            rows.add(new String[] {n.get("id").asText(), n.get("name").asText(), n.get("ip").asText(), n.get("status").asText(),
                    n.get("freeUnits").asText() + "/128", agent, a.get("subnodes").asText(), a.get("statusUrl").asText()});
        }
        ChainCommands.printTable(rows);
        for (JsonNode n : doc.get("nodes")) {
            for (JsonNode p : n.get("agent").path("problems")) {
                System.out.printf("  node %d: %s%n", n.get("id").asLong(), p.asText());
            }
        }
        System.out.println();
        if (doc.get("chains").isEmpty()) {
            System.out.println("no chains (./flotilla chain create NAME --type dev4)");
        }
        for (JsonNode ch : doc.get("chains")) {
            System.out.printf("chain %s (id %d, EVM chain id %d, %s, %s, image %s, owner %s)%n", ch.get("name").asText(), ch.get("id").asLong(),
                    ch.get("chainId").asLong(), ch.get("type").asText(), ch.get("status").asText(), ch.get("imageVersion").asText(),
                    ch.get("owner").asText());
            if (ch.get("members").isEmpty()) {
                continue;
            }
            List<String[]> members = new ArrayList<>();
            members.add(new String[] {"  NODE", "JSON-RPC", "SUBNODE", "BLOCK", "HASH"});
            for (JsonNode m : ch.get("members")) {
                members.add(new String[] {"  " + m.get("nodeId").asText(), m.get("rpcUrl").asText(),
                        m.get("subnode").asText() + (m.has("error") ? " (" + m.get("error").asText() + ")" : ""),
                        m.get("blockNumber").isNull() ? "-" : m.get("blockNumber").asText(),
                        m.get("blockHash").isNull() ? "no answer" : m.get("blockHash").asText()});
            }
            ChainCommands.printTable(members);
        }
        if (doc.has("sample")) {
            JsonNode s = doc.get("sample");
            System.out.printf("%nsample contract %s at %s on chain %s%n", s.path("contract").asText(), s.path("address").asText(),
                    s.path("chain").asText());
        }
    }

    // ------------------------------------------------------------------ wait-chain, summary

    private void waitChain(CliArgs args, Path dir, String name, Duration timeout, Optional<Path> urlsOut) throws Exception {
        readDevnet(dir);
        try (ManagerConnection c = ManagerConnection.open(args)) {
            ChainInfo chain = c.client.chainByName(name).orElseThrow(() -> new IllegalArgumentException("no chain named '" + name + "'"));
            List<Member> members = c.client.membersOf(chain.id());
            if (urlsOut.isPresent()) {
                Files.writeString(urlsOut.get(), String.join(",", members.stream().map(ChainCommands::rpcUrl).toList()) + "\n");
            }
            Instant deadline = Instant.now().plus(timeout);
            Instant started = Instant.now();
            String last = "";
            while (true) {
                int answering = 0;
                Map<String, Integer> firstBlocks = new LinkedHashMap<>();
                long lowest = Long.MAX_VALUE;
                for (Member m : members) {
                    Optional<JsonNode> head = rpc(ChainCommands.rpcUrl(m), "eth_blockNumber", "[]");
                    if (head.isEmpty()) {
                        continue;
                    }
                    answering++;
                    long height = Long.decode(head.get().asText());
                    lowest = Math.min(lowest, height);
                    if (height >= 1) {
                        rpc(ChainCommands.rpcUrl(m), "eth_getBlockByNumber", "[\"0x1\",false]")
                                .ifPresent(b -> firstBlocks.merge(b.path("hash").asText(), 1, Integer::sum));
                    }
                }
                String progress = String.format("  %d/%d subnodes answer JSON-RPC, %d/%d have block 1", answering, members.size(),
                        firstBlocks.values().stream().mapToInt(Integer::intValue).sum(), members.size());
                if (!progress.equals(last)) {
                    System.out.printf("%s (%ds)%n", progress, Duration.between(started, Instant.now()).toSeconds());
                    last = progress;
                }
                if (firstBlocks.size() > 1) {
                    throw new IllegalStateException("members of chain " + name + " disagree on block 1: " + firstBlocks.keySet());
                }
                if (answering == members.size() && firstBlocks.size() == 1 && firstBlocks.values().iterator().next() == members.size()) {
                    System.out.printf("  chain %s: block 1 is %s on all %d members, height %d%n", name, firstBlocks.keySet().iterator().next(),
                            members.size(), lowest);
                    return;
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("chain " + name + " has no common first block after " + timeout.toSeconds() + " s ("
                            + progress.strip() + "); see ./flotilla devnet status and docker logs flotilla-<network>-" + name + "-<node id>");
                }
                Thread.sleep(1000);
            }
        }
    }

    private void summary(CliArgs args, Path dir, String name) throws Exception {
        JsonNode devnet = readDevnet(dir);
        try (ManagerConnection c = ManagerConnection.open(args)) {
            ChainInfo chain = c.client.chainByName(name).orElseThrow(() -> new IllegalArgumentException("no chain named '" + name + "'"));
            long evm = ChainCommands.evmChainId(chain.id());
            Credentials developer = DevAccounts.account(DevAccounts.DEVELOPER);
            System.out.println();
            System.out.printf("Ethereum (manager contracts)  %s  chain id %d, address book %s%n", c.rpcUrl, c.book.chainId(), c.addressBookFile);
            System.out.printf("sidechain %-19s chain id %d (0x%x), type %s, image %s%n", "'" + name + "'", evm, evm, chain.typeName(),
                    chain.imageVersion());
            System.out.print("  JSON-RPC URLs               ");
            List<Member> members = c.client.membersOf(chain.id());
            for (int i = 0; i < members.size(); i++) {
                System.out.print((i == 0 ? "" : "                              ") + ChainCommands.rpcUrl(members.get(i)) + "  (node "
                        + members.get(i).nodeId() + ")\n");
            }
            System.out.printf("  funded key                  %s%n", DevAccounts.privateKeyHex(developer));
            System.out.printf("                              account %s, %s ETH on '%s' from genesis;%n", developer.getAddress(),
                    ChainCommands.GENESIS_OWNER_BALANCE, name);
            System.out.println("                              DEVELOPMENT ONLY: a public Hardhat key, known to everybody");
            if (Files.isRegularFile(dir.resolve("sample.json"))) {
                JsonNode s = JSON.readTree(Files.readString(dir.resolve("sample.json")));
                System.out.printf("  sample contract             %s at %s (block %s)%n", s.path("contract").asText(), s.path("address").asText(),
                        s.path("blockNumber").asText());
            }
            System.out.print("agents' status URLs           ");
            int i = 0;
            for (JsonNode n : devnet.path("nodes")) {
                System.out.print((i++ == 0 ? "" : "                              ") + n.get("statusUrl").asText() + "  (node " + n.get("id").asLong()
                        + ")\n");
            }
            System.out.println();
            System.out.println("next: ./flotilla devnet status [--json] | ./flotilla chain create NAME --type dev4 | ./flotilla chain info " + name
                    + " | ./flotilla devnet down");
        }
    }

    // ------------------------------------------------------------------ helpers

    private static JsonNode readDevnet(Path dir) throws IOException {
        Path file = dir.resolve("devnet.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no devnet at " + dir + " (start one with ./flotilla devnet up)");
        }
        return JSON.readTree(Files.readString(file));
    }

    private static Optional<Long> readPid(Path file) {
        try {
            return Optional.of(Long.parseLong(Files.readString(file).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<JsonNode> getJson(String url) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Optional.of(JSON.readTree(r.body())) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** The result of one JSON-RPC call, empty when the endpoint does not answer or answers an error. */
    static Optional<JsonNode> rpc(String url, String method, String params) {
        try {
            String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + params + "}";
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3))
                    .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode result = JSON.readTree(r.body()).path("result");
            return result.isMissingNode() || result.isNull() ? Optional.empty() : Optional.of(result);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static void writeSecret(Path file, String content) throws IOException {
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    private static BigInteger ether(long eth) {
        return BigInteger.TEN.pow(18).multiply(BigInteger.valueOf(eth));
    }
}
