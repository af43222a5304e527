package io.flotilla.chain.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.subnode.config.SubnodeConfigJson;
import io.flotilla.subnode.config.SubnodeConfig;
import io.flotilla.chain.tx.TestTxs;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Wallet;
import org.web3j.utils.Numeric;

/**
 * The same contracts and transactions on a Flotilla member and on a Hardhat node pinned to Cancun, every trace method
 * and tracer compared field by field: nested reverts (with logs in the failed frames), CREATE2 (and a CREATE2
 * collision), self-destruct in the creating transaction, precompile calls, out of gas at depth 2.
 *
 * <p>Both chains start with the sender (Hardhat's first account) holding 10,000 ether and every transaction pays the
 * same legacy gas price, so balances agree. The fields allowed to differ, and only these:
 * <ul>
 *   <li>{@code prestateTracer}: the block's coinbase account (Hardhat's 0xc014ba5e..., a Flotilla member's address),
 *       removed from both answers before comparing;</li>
 *   <li>the wording of two errors ({@link #SAME_ERROR}): Flotilla says "contract address collision" and "out of gas"
 *       as geth does where Hardhat's struct logs say "CreateCollision" and "Some(OutOfGas)" (and "Some(ReentrancySentryOOG)"
 *       for geth's "out of gas: not enough gas for reentrancy sentry");</li>
 *   <li>nothing else: block hashes and timestamps do not appear in traces.</li>
 * </ul>
 * Hardhat has no debug_traceBlockByNumber/ByHash: Flotilla's block traces are checked against its own (already
 * compared) transaction traces. Skipped when node_modules (Hardhat) or Node 22 is absent.
 */
class TracingDifferentialTest {
    /** Hardhat's first default account (its well-known development key). */
    private static final Credentials SENDER = Credentials.create("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    private static final BigInteger GAS_PRICE = BigInteger.valueOf(2_000_000_000L);
    private static final String BENEFICIARY = "0x000000000000000000000000000000000000beef";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;

    private static Process hardhat;
    private static Subnode subnode;
    private static Chain flotilla;
    private static Chain reference;
    private static String flotillaCoinbase;
    private static final Map<String, String[]> hashes = new LinkedHashMap<>(); // name -> {flotilla hash, hardhat hash}
    private static String caller;
    private static String reverter;

    /** One JSON-RPC endpoint and the chain id transactions are signed for. */
    record Chain(String url, long chainId) {
        JsonNode call(String method, Object... params) throws Exception {
            JsonNode r = request(method, params);
            if (r.has("error")) fail(method + " on " + url + " failed: " + r.get("error"));
            return r.get("result");
        }

        JsonNode request(String method, Object... params) throws Exception {
            ObjectNode req = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", 1).put("method", method);
            req.set("params", JSON.valueToTree(params));
            HttpResponse<String> resp = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                    .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(req.toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(resp.body());
        }
    }

    @BeforeAll
    static void startBothChains() throws Exception {
        Path repo = repositoryRoot();
        Assumptions.assumeTrue(repo != null && Files.isDirectory(repo.resolve("node_modules/hardhat")), "node_modules is absent: skipped");
        Path node = repo.resolve("node_modules/.bin/node");
        Assumptions.assumeTrue(Files.isExecutable(node), "node_modules/.bin/node is absent (./flotilla setup): skipped");
        int port = freePorts("127.0.0.1", 1).get(0);
        ProcessBuilder pb = new ProcessBuilder(node.toString(), repo.resolve("node_modules/hardhat/dist/src/cli.js").toString(),
                "--network", "cancun", "node", "--hostname", "127.0.0.1", "--port", Integer.toString(port))
                .directory(repo.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("hardhat-node.log").toFile());
        pb.environment().put("PATH", node.getParent() + java.io.File.pathSeparator + System.getenv().getOrDefault("PATH", ""));
        hardhat = pb.start();
        reference = new Chain("http://127.0.0.1:" + port + "/", 31337);
        SubnodeConfig config = SubnodeConfigJson.load(writeConfig(dir));
        subnode = Subnode.start(config);
        flotilla = new Chain("http://" + config.bindIp() + ":" + config.ports().rpcHttp() + "/", config.evmChainId());
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            try {
                if (reference.request("eth_chainId").has("result")) break;
            } catch (IOException e) {
                if (!hardhat.isAlive() || System.nanoTime() > deadline) {
                    fail("the Hardhat node did not answer (" + e + "): " + Files.readString(dir.resolve("hardhat-node.log")));
                }
                Thread.sleep(200);
            }
        }
        runScenario();
    }

    @AfterAll
    static void stopBothChains() throws Exception {
        if (subnode != null) subnode.close();
        if (hardhat != null) {
            hardhat.descendants().forEach(ProcessHandle::destroy);
            hardhat.destroy();
            if (!hardhat.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) hardhat.destroyForcibly();
        }
    }

    // ---- the contracts (hand-assembled, so the test needs no compiler) ----

    /** Init code that deploys {@code runtime}. */
    static String deploy(String runtime) {
        int len = runtime.length() / 2;
        return String.format("61%04x8061000d6000396000f3", len) + runtime;
    }

    /** Caller: CALL(gas, calldata[0:32], 0, calldata[32:]) ; slot 1 = success ; LOG1(topic = success). */
    static final String CALLER = "6000" + "6000" + "602036" + "03" + "80" + "6020" + "6000" + "37" + "6000" + "6000" + "600035" + "5a" + "f1"
            + "80" + "6001" + "55" + "6000" + "6000" + "a1" + "00";
    /** Error("nope") as Solidity encodes it. */
    static final String ERROR_NOPE = "08c379a0" + "0000000000000000000000000000000000000000000000000000000000000020"
            + "0000000000000000000000000000000000000000000000000000000000000004"
            + "6e6f706500000000000000000000000000000000000000000000000000000000";
    /** Reverter: slot 0 = 1 ; LOG0 ; REVERT with Error("nope") (copied from the code's tail). */
    static String reverterRuntime() {
        int len = ERROR_NOPE.length() / 2;
        String head = "6001" + "6000" + "55" + "6000" + "6000" + "a0" + String.format("60%02x", len) + "60XX" + "6000" + "39"
                + String.format("60%02x", len) + "6000" + "fd";
        int codeOffset = head.length() / 2;
        return head.replace("60XX", String.format("60%02x", codeOffset)) + ERROR_NOPE;
    }
    /** Spins until out of gas. */
    static final String LOOP = "5b600056";
    /** Factory: CREATE2(value = callvalue, init = calldata, salt 0) ; slot 0 = the address (0 on failure). */
    static final String FACTORY = "36" + "6000" + "6000" + "37" + "6000" + "36" + "6000" + "34" + "f5" + "6000" + "55" + "00";
    /** Init code that self-destructs to BENEFICIARY while being created (EIP-6780: really removed). */
    static final String SELF_DESTRUCTING_INIT = "73" + BENEFICIARY.substring(2) + "ff";
    /** Init code that deploys an empty contract (a second CREATE2 of it collides). */
    static final String EMPTY_INIT = "00";

    static String word(String address) {
        return "000000000000000000000000" + address.substring(2);
    }

    private static void runScenario() throws Exception {
        reverter = created(sendBoth("deploy reverter", null, 0, "0x" + deploy(reverterRuntime())));
        caller = created(sendBoth("deploy caller", null, 0, "0x" + deploy(CALLER)));
        String loop = created(sendBoth("deploy loop", null, 0, "0x" + deploy(LOOP)));
        String factory = created(sendBoth("deploy factory", null, 0, "0x" + deploy(FACTORY)));
        sendBoth("nested revert", caller, 0, "0x" + word(caller) + word(reverter));
        sendBoth("top-level revert", reverter, 0, "0x");
        sendBoth("precompile sha256", caller, 0, "0x" + word("0x0000000000000000000000000000000000000002") + "68656c6c6f");
        sendBoth("precompile ecrecover (bad input)", caller, 0, "0x" + word("0x0000000000000000000000000000000000000001") + "00".repeat(128));
        // Little gas: the struct log of the loop stays under the node's 8 MiB answer limit, and both callers are left
        // with less than the SSTORE sentry's 2,300 gas after the loop: out of gas at depth 2, then at depths 1 and 0.
        sendBoth("out of gas at depth 2", caller, 0, "0x" + word(caller) + word(loop), 120_000);
        sendBoth("create2 then self-destruct", factory, 1000, "0x" + SELF_DESTRUCTING_INIT);
        sendBoth("create2", factory, 0, "0x" + EMPTY_INIT);
        sendBoth("create2 collision", factory, 0, "0x" + EMPTY_INIT);
    }

    private static String created(String name) throws Exception {
        String[] h = hashes.get(name);
        String a = flotilla.call("eth_getTransactionReceipt", h[0]).get("contractAddress").asText();
        assertEquals(a, reference.call("eth_getTransactionReceipt", h[1]).get("contractAddress").asText(), name);
        return a;
    }

    private static long nonce;

    /** Sends the same transaction (legacy, same gas price and limit) to both chains; waits for both receipts. */
    private static String sendBoth(String name, String to, long value, String data) throws Exception {
        return sendBoth(name, to, value, data, 1_000_000);
    }

    private static String sendBoth(String name, String to, long value, String data, long gas) throws Exception {
        String[] h = new String[2];
        Chain[] chains = {flotilla, reference};
        for (int i = 0; i < 2; i++) {
            byte[] raw = TestTxs.legacy(SENDER, chains[i].chainId(), nonce, GAS_PRICE, gas, to, BigInteger.valueOf(value), data);
            h[i] = chains[i].call("eth_sendRawTransaction", Numeric.toHexString(raw)).asText();
        }
        nonce++;
        for (int i = 0; i < 2; i++) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (chains[i].call("eth_getTransactionReceipt", h[i]).isNull()) {
                if (System.nanoTime() > deadline) fail("no receipt for " + name + " on " + chains[i].url());
                Thread.sleep(20);
            }
        }
        hashes.put(name, h);
        return name;
    }

    // ---- the comparisons ----

    private static final List<Map<String, Object>> TRACERS = List.of(
            Map.of(),
            Map.of("enableMemory", true, "enableReturnData", true),
            Map.of("disableStack", true, "disableStorage", true),
            Map.of("tracer", "callTracer"),
            Map.of("tracer", "callTracer", "tracerConfig", Map.of("withLog", true)),
            Map.of("tracer", "callTracer", "tracerConfig", Map.of("onlyTopCall", true)),
            Map.of("tracer", "prestateTracer"),
            Map.of("tracer", "prestateTracer", "tracerConfig", Map.of("diffMode", true)),
            Map.of("tracer", "4byteTracer"));

    @Test
    void everyTransactionTracesAlikeWithEveryTracer() throws Exception {
        List<String> differences = new ArrayList<>();
        for (var e : hashes.entrySet()) {
            for (Map<String, Object> options : TRACERS) {
                JsonNode ours = flotilla.call("debug_traceTransaction", e.getValue()[0], options);
                JsonNode theirs = reference.call("debug_traceTransaction", e.getValue()[1], options);
                compare(e.getKey() + " " + options, normalize(ours, options, flotilla), normalize(theirs, options, reference), differences);
            }
        }
        assertTrue(differences.isEmpty(), String.join("\n", differences.subList(0, Math.min(400, differences.size()))));
    }

    /**
     * eth_getProof against Hardhat's: the two chains' account tries differ (other accounts, other coinbase), but the
     * contracts' storage is the same, so storage roots and storage proofs must be identical byte for byte, and the
     * account fields equal; each chain's account proof verifies against its own block's state root.
     */
    @Test
    void proofsAgreeWithHardhatsOnTheSameContractStorage() throws Exception {
        String slot0 = "0x" + "00".repeat(32);
        String slot1 = "0x" + "00".repeat(31) + "01";
        for (String contract : List.of(caller, reverter, "0x00000000000000000000000000000000000000ee")) {
            JsonNode[] proofs = new JsonNode[2];
            Chain[] chains = {flotilla, reference};
            for (int i = 0; i < 2; i++) {
                String block = chains[i].call("eth_blockNumber").asText();
                proofs[i] = chains[i].call("eth_getProof", contract, List.of(slot0, slot1), block);
                byte[] stateRoot = io.flotilla.evm.types.Hex.decode(chains[i].call("eth_getBlockByNumber", block, false).get("stateRoot").asText());
                List<byte[]> nodes = new ArrayList<>();
                for (JsonNode n : proofs[i].get("accountProof")) nodes.add(io.flotilla.evm.types.Hex.decode(n.asText()));
                var leaf = io.flotilla.evm.trie.TrieProof.verify(stateRoot,
                        io.flotilla.evm.crypto.Keccak.hash(io.flotilla.evm.types.Hex.decode(contract)), nodes);
                assertEquals(!contract.endsWith("ee"), leaf.isPresent(), contract + " on " + chains[i].url());
            }
            for (String field : List.of("address", "balance", "codeHash", "nonce", "storageHash", "storageProof")) {
                assertEquals(proofs[1].get(field), proofs[0].get(field), field + " of " + contract);
            }
        }
    }

    @Test
    void callsTraceAlikeOnTheLatestBlock() throws Exception {
        List<String> differences = new ArrayList<>();
        Map<String, Object> call = Map.of("from", SENDER.getAddress(), "to", caller, "gas", "0x7a120", "data", "0x" + word(caller) + word(reverter));
        for (Map<String, Object> options : TRACERS) {
            JsonNode ours = flotilla.call("debug_traceCall", call, "latest", options);
            JsonNode theirs = reference.call("debug_traceCall", call, "latest", options);
            compare("traceCall " + options, normalize(ours, options, flotilla), normalize(theirs, options, reference), differences);
        }
        assertTrue(differences.isEmpty(), String.join("\n", differences.subList(0, Math.min(400, differences.size()))));
    }

    @Test
    void blockTracesAreTheTransactionTracesOfTheBlock() throws Exception {
        for (String[] h : hashes.values()) {
            JsonNode receipt = flotilla.call("eth_getTransactionReceipt", h[0]);
            for (Map<String, Object> options : List.of(Map.<String, Object>of(), Map.<String, Object>of("tracer", "callTracer"))) {
                JsonNode byNumber = flotilla.call("debug_traceBlockByNumber", receipt.get("blockNumber").asText(), options);
                JsonNode byHash = flotilla.call("debug_traceBlockByHash", receipt.get("blockHash").asText(), options);
                assertEquals(byNumber, byHash);
                JsonNode single = flotilla.call("debug_traceTransaction", h[0], options);
                boolean found = false;
                for (JsonNode entry : byNumber) {
                    if (entry.get("txHash").asText().equals(h[0])) {
                        assertEquals(single, entry.get("result"));
                        found = true;
                    }
                }
                assertTrue(found, "transaction " + h[0] + " is missing from the trace of its block");
            }
        }
    }

    @Test
    void unknownTracersAndTransactionsGetClearErrors() throws Exception {
        JsonNode r = flotilla.request("debug_traceTransaction", hashes.values().iterator().next()[0], Map.of("tracer", "{step: function(){}}"));
        assertEquals(-32602, r.path("error").path("code").asInt(), r.toString());
        assertTrue(r.path("error").path("message").asText().contains("not supported"), r.toString());
        r = flotilla.request("debug_traceTransaction", "0x" + "ab".repeat(32));
        assertEquals(-32000, r.path("error").path("code").asInt(), r.toString());
        assertTrue(r.path("error").path("message").asText().contains("not found"), r.toString());
    }

    /** Removes what may legitimately differ (see the class comment). */
    private static JsonNode normalize(JsonNode trace, Map<String, Object> options, Chain chain) throws Exception {
        if (!"prestateTracer".equals(options.get("tracer"))) return trace;
        String coinbase = chain == reference ? "0xc014ba5ec014ba5ec014ba5ec014ba5ec014ba5e" : flotillaCoinbase;
        JsonNode copy = trace.deepCopy();
        List<ObjectNode> maps = new ArrayList<>();
        if (copy.has("pre") && copy.has("post")) {
            maps.add((ObjectNode) copy.get("pre"));
            maps.add((ObjectNode) copy.get("post"));
        } else {
            maps.add((ObjectNode) copy);
        }
        for (ObjectNode m : maps) m.remove(coinbase.toLowerCase());
        return copy;
    }

    /**
     * Error texts that name the same failure: Flotilla words them as geth does, Hardhat's EDR prints its own (Rust) names.
     * The error must be present on both sides, at the same place; only its wording may differ, and only as listed here.
     */
    static final Map<String, String> SAME_ERROR = Map.of(
            "contract address collision", "CreateCollision",
            "out of gas", "Some(OutOfGas)",
            "out of gas: not enough gas for reentrancy sentry", "Some(ReentrancySentryOOG)");

    /** Lists every path where the two differ (numbers compared by value, whatever their JSON type). */
    static void compare(String where, JsonNode ours, JsonNode theirs, List<String> out) {
        if (ours == null || theirs == null || ours.isNull() || theirs.isNull()) {
            if (!(ours == null ? theirs == null || theirs.isNull() : ours.isNull() && (theirs == null || theirs.isNull()))) {
                out.add(where + ": flotilla " + ours + " hardhat " + theirs);
            }
            return;
        }
        if (ours.isObject() && theirs.isObject()) {
            java.util.Set<String> keys = new java.util.TreeSet<>();
            ours.fieldNames().forEachRemaining(keys::add);
            theirs.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) compare(where + "." + k, ours.get(k), theirs.get(k), out);
        } else if (ours.isArray() && theirs.isArray()) {
            if (ours.size() != theirs.size()) out.add(where + ": " + ours.size() + " entries (flotilla) vs " + theirs.size() + " (hardhat)");
            Iterator<JsonNode> a = ours.iterator();
            Iterator<JsonNode> b = theirs.iterator();
            for (int i = 0; a.hasNext() && b.hasNext() && out.size() < 200; i++) compare(where + "[" + i + "]", a.next(), b.next(), out);
        } else if (ours.isNumber() && theirs.isNumber()) {
            if (!ours.bigIntegerValue().equals(theirs.bigIntegerValue())) out.add(where + ": flotilla " + ours + " hardhat " + theirs);
        } else if (!ours.equals(theirs) && !SAME_ERROR.getOrDefault(ours.asText(), "").equals(theirs.asText())) {
            out.add(where + ": flotilla " + ours + " hardhat " + theirs);
        }
    }

    // ---- a one-member chain ----

    private static Path writeConfig(Path dir) throws Exception {
        String ip = "127.0.0." + ThreadLocalRandom.current().nextInt(2, 250);
        ECKeyPair nodeKey = Keys.createEcKeyPair();
        Path keyFile = dir.resolve("node-key.json");
        Path passwordFile = dir.resolve("node-key.password");
        JSON.writeValue(keyFile.toFile(), Wallet.createLight("subnode-password", nodeKey));
        Files.writeString(passwordFile, "subnode-password\n");
        List<Integer> ports = freePorts(ip, 5);
        ObjectNode portsJson = JSON.createObjectNode().put("consensus", ports.get(0)).put("catchUp", ports.get(1))
                .put("rpcHttp", ports.get(2)).put("rpcWs", ports.get(3)).put("metrics", ports.get(4));
        String nodeAddress = "0x" + Keys.getAddress(nodeKey);
        flotillaCoinbase = nodeAddress;
        ObjectNode root = JSON.createObjectNode();
        root.put("bindIp", ip).put("chainId", 7).put("chainName", "tracing-diff")
                .put("dataDir", Files.createDirectories(dir.resolve("data")).toString()).put("evmChainId", 0x464C0007L)
                .put("keyFile", keyFile.toString()).put("nodeId", 1).put("passwordFile", passwordFile.toString())
                .put("slot", 0);
        root.putObject("consensus").put("blockTimeMs", 200).put("engine", "bft").put("heartbeatMs", 5_000);
        ObjectNode genesis = root.putObject("genesis");
        genesis.putObject("alloc").put(SENDER.getAddress(), BigInteger.TEN.pow(22).toString());
        genesis.put("gasLimit", 30_000_000).put("minGasPriceWei", "1000000000").put("owner", SENDER.getAddress());
        root.putObject("image").put("id", "sha256:" + "0".repeat(64)).put("version", "test");
        root.putArray("members").addObject().put("address", nodeAddress).put("ip", ip).put("nodeId", 1)
                .put("publicKey", Numeric.toHexStringWithPrefixZeroPadded(nodeKey.getPublicKey(), 128)).set("ports", portsJson.deepCopy());
        root.set("ports", portsJson);
        Path file = dir.resolve("config.json");
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
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

    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("package.json")) && Files.isRegularFile(p.resolve("hardhat.config.js"))) return p;
        }
        return null;
    }
}
