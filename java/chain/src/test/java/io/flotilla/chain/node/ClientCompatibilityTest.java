package io.flotilla.chain.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.subnode.config.SubnodeConfigJson;
import io.flotilla.subnode.config.SubnodeConfig;
import io.flotilla.chain.tx.TestTxs;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Wallet;
import org.web3j.utils.Numeric;

/**
 * The JavaScript clients dApp developers use, against a real one-member subnode started from a config written the
 * way the agent writes it: ethers v6 (deploy/clients/ethers-check.js: deploy, transactions, receipts, logs,
 * balances, reverts, WebSocket subscriptions) and Hardhat 3 (deploy/clients/hardhat-check.js run with
 * {@code hardhat run --network flotilla}). web3j is covered by the rpc package's end-to-end tests.
 * <p>Needs the repository's node_modules (./flotilla setup) and Node 22; without them the tests are skipped.
 */
class ClientCompatibilityTest {
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(150);
    private static final Credentials ETHERS_KEY = TestTxs.OWNER;
    private static final Credentials HARDHAT_KEY = TestTxs.ALICE;

    @TempDir
    static Path dir;

    private static Path repo;
    private static Path node;
    private static int nodeMajor;
    private static SubnodeConfig config;
    private static Subnode subnode;

    @BeforeAll
    static void findClients() {
        repo = repositoryRoot();
        if (repo != null) node = findNode(repo);
    }

    /** Per test, so a missing toolchain shows as skipped tests (not as an empty class); the subnode starts once. */
    @BeforeEach
    void requireClientsAndSubnode() throws Exception {
        Assumptions.assumeTrue(repo != null && Files.isDirectory(repo.resolve("node_modules/ethers")) && Files.isDirectory(repo.resolve("node_modules/hardhat"))
                && Files.isDirectory(repo.resolve("node_modules/solc")), "node_modules is absent (run ./flotilla setup): client checks skipped");
        Assumptions.assumeTrue(node != null, "no Node.js found (node_modules/.bin/node or node on PATH): client checks skipped");
        if (subnode == null) {
            config = SubnodeConfigJson.load(writeConfig(dir));
            subnode = Subnode.start(config);
        }
    }

    @AfterAll
    static void stopSubnode() {
        if (subnode != null) subnode.close();
    }

    @Test
    void ethersV6DeploysTransactsReadsLogsAndSubscribes() throws Exception {
        Assumptions.assumeTrue(nodeMajor >= 18, "ethers v6 needs Node >= 18, found " + node);
        String out = run(List.of(node.toString(), "deploy/clients/ethers-check.js"), ETHERS_KEY);
        assertTrue(out.contains("ethers client check ok"), out);
    }

    @Test
    void hardhat3DeploysToTheSubnodeAsAConfiguredNetwork() throws Exception {
        Assumptions.assumeTrue(nodeMajor >= 22, "Hardhat 3 needs Node >= 22, found " + node);
        Path cli = repo.resolve("node_modules/hardhat").resolve(hardhatBin(repo));
        String out = run(List.of(node.toString(), cli.toString(), "run", "--no-compile", "--network", "flotilla", "deploy/clients/hardhat-check.js"),
                HARDHAT_KEY);
        assertTrue(out.contains("hardhat client check ok"), out);
    }

    /** Runs a client script from the repository root against the subnode; returns its output, fails on a non-zero exit. */
    private static String run(List<String> command, Credentials key) throws Exception {
        Path log = Files.createTempFile(dir, "client-", ".log");
        ProcessBuilder pb = new ProcessBuilder(command).directory(repo.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("PATH", node.getParent() + java.io.File.pathSeparator + env.getOrDefault("PATH", ""));
        env.put("FLOTILLA_CHAIN_RPC_URL", "http://" + config.bindIp() + ":" + config.ports().rpcHttp() + "/");
        env.put("FLOTILLA_CHAIN_WS_URL", "ws://" + config.bindIp() + ":" + config.ports().rpcWs() + "/");
        env.put("FLOTILLA_CHAIN_PRIVATE_KEY", Numeric.toHexStringWithPrefixZeroPadded(key.getEcKeyPair().getPrivateKey(), 64));
        env.put("FLOTILLA_CHAIN_ID", Long.toString(config.evmChainId()));
        env.put("NO_COLOR", "1");
        Process p = pb.start();
        boolean done = p.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(done, () -> String.join(" ", command) + " timed out after " + SCRIPT_TIMEOUT + ":\n" + out);
        assertEquals(0, p.exitValue(), () -> String.join(" ", command) + " failed (head " + subnode.head() + "):\n" + out);
        return out;
    }

    // ---- the subnode, configured as the agent configures it ----

    /** config.json as the agent writes it (see src/test/resources/config/agent-written.json), one member, free loopback ports. */
    private static Path writeConfig(Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        String ip = "127.0.0." + ThreadLocalRandom.current().nextInt(2, 250);
        ECKeyPair nodeKey = Keys.createEcKeyPair();
        Path keyFile = dir.resolve("node-key.json");
        Path passwordFile = dir.resolve("node-key.password");
        json.writeValue(keyFile.toFile(), Wallet.createLight("subnode-password", nodeKey));
        Files.writeString(passwordFile, "subnode-password\n");
        List<Integer> ports = freePorts(ip, 5);
        ObjectNode portsJson = json.createObjectNode().put("consensus", ports.get(0)).put("catchUp", ports.get(1))
                .put("rpcHttp", ports.get(2)).put("rpcWs", ports.get(3)).put("metrics", ports.get(4));
        String nodeAddress = "0x" + Keys.getAddress(nodeKey);
        long chainId = 42;
        ObjectNode root = json.createObjectNode();
        root.put("bindIp", ip).put("chainId", chainId).put("chainName", "client-compat")
                .put("dataDir", Files.createDirectories(dir.resolve("data")).toString()).put("evmChainId", 0x464C0000L + chainId)
                .put("keyFile", keyFile.toString()).put("nodeId", 1).put("passwordFile", passwordFile.toString())
                .put("slot", 0);
        root.putObject("consensus").put("blockTimeMs", 200).put("engine", "bft").put("heartbeatMs", 5_000);
        ObjectNode genesis = root.putObject("genesis");
        String million = BigInteger.TEN.pow(24).toString();
        genesis.putObject("alloc").put(ETHERS_KEY.getAddress(), million).put(HARDHAT_KEY.getAddress(), million);
        genesis.put("gasLimit", 30_000_000).put("minGasPriceWei", "0").put("owner", ETHERS_KEY.getAddress());
        root.putObject("image").put("id", "sha256:" + "0".repeat(64)).put("version", "test");
        root.putArray("members").addObject().put("address", nodeAddress).put("ip", ip).put("nodeId", 1)
                .put("publicKey", Numeric.toHexStringWithPrefixZeroPadded(nodeKey.getPublicKey(), 128)).set("ports", portsJson.deepCopy());
        root.set("ports", portsJson);
        Path file = dir.resolve("config.json");
        json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
        return file;
    }

    private static List<Integer> freePorts(String ip, int count) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) held.add(new ServerSocket(0, 1, InetAddress.getByName(ip)));
            return held.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket s : held) s.close();
        }
    }

    // ---- finding the repository and Node ----

    /** The directory holding package.json and hardhat.config.js, upwards from the working directory. */
    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("package.json")) && Files.isRegularFile(p.resolve("hardhat.config.js"))) return p;
        }
        return null;
    }

    /**
     * Node.js as the launcher provides it: the pinned node package's binary in node_modules/.bin (installed by
     * ./flotilla setup), else a {@code node} on PATH. Its major version is kept in {@link #nodeMajor}.
     */
    private static Path findNode(Path repo) {
        List<Path> candidates = new ArrayList<>();
        candidates.add(repo.resolve("node_modules/.bin/node"));
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!d.isBlank()) candidates.add(Path.of(d, "node"));
        }
        Path best = null;
        for (Path c : candidates) {
            if (!Files.isExecutable(c)) continue;
            Optional<Integer> major = majorVersion(c);
            if (major.isPresent() && major.get() > nodeMajor) {
                best = c.toAbsolutePath();
                nodeMajor = major.get();
            }
            if (nodeMajor >= 22) break;
        }
        return best;
    }

    private static Optional<Integer> majorVersion(Path nodeBinary) {
        try {
            Process p = new ProcessBuilder(nodeBinary.toString(), "--version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0 || !v.matches("v\\d+\\..*")) return Optional.empty();
            return Optional.of(Integer.parseInt(v.substring(1, v.indexOf('.'))));
        } catch (IOException | InterruptedException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Hardhat's CLI entry point from its package.json "bin" (not node_modules/.bin/hardhat, whose shebang picks any node). */
    private static String hardhatBin(Path repo) throws IOException {
        var pkg = new ObjectMapper().readTree(repo.resolve("node_modules/hardhat/package.json").toFile());
        var bin = pkg.path("bin");
        String path = bin.isTextual() ? bin.asText() : bin.path("hardhat").asText("dist/src/cli.js");
        return path.startsWith("./") ? path.substring(2) : path;
    }
}
