package io.flotilla.chain.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.evm.crypto.Secp256k1;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.crypto.Wallet;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * Four subnode programs ({@link Main}) as separate operating-system processes, configured exactly as the agent
 * configures them, each on its own loopback address: one is killed with SIGKILL in the middle of a stream of
 * transfers, restarted on the same data, and nothing it had committed is lost; it catches up and agrees with the
 * others on every block.
 */
class SubnodeProcessTest {

    private static final Credentials OWNER = Credentials.create("0x" + "22".repeat(32));
    private static final long CHAIN_ID = 7;
    private static final long EVM_CHAIN_ID = 0x464C0000L + CHAIN_ID;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stop() {
        processes.forEach(Process::destroyForcibly);
    }

    /** The consensus engine the members' configs name. */
    private String engine = "bft";

    private record Member(int nodeId, BigInteger key, String ip, int consensusPort, int rpcPort) {
        String rpcUrl() {
            return "http://" + ip + ":" + rpcPort;
        }
    }

    private static int freePort(String ip) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(ip))) {
            return s.getLocalPort();
        }
    }

    /** Writes config.json, the V3 keystore and its password for one member, the way the agent lays them out. */
    private Path writeConfig(Member self, List<Member> all) throws Exception {
        Path home = Files.createDirectories(dir.resolve("node-" + self.nodeId()));
        Path key = home.resolve("node-key.json");
        Files.writeString(key, JSON.writeValueAsString(Wallet.createLight("pw-" + self.nodeId(), ECKeyPair.create(self.key()))));
        Files.writeString(home.resolve("node-key.password"), "pw-" + self.nodeId() + "\n");
        ObjectNode root = JSON.createObjectNode();
        root.put("chainId", CHAIN_ID).put("chainName", "restart").put("evmChainId", EVM_CHAIN_ID).put("nodeId", self.nodeId())
                .put("bindIp", self.ip()).put("keyFile", key.toString()).put("passwordFile", home.resolve("node-key.password").toString())
                .put("dataDir", home.resolve("data").toString()).put("slot", 0);
        root.set("ports", ports(self));
        root.putObject("consensus").put("engine", engine).put("blockTimeMs", 200).put("heartbeatMs", 30_000);
        ObjectNode genesis = root.putObject("genesis");
        genesis.put("owner", OWNER.getAddress()).put("gasLimit", 30_000_000).put("minGasPriceWei", "0");
        genesis.putObject("alloc").put(OWNER.getAddress(), "1000000000000000000000000");
        ArrayNode members = root.putArray("members");
        for (Member m : all) {
            ObjectNode n = members.addObject();
            n.put("nodeId", m.nodeId()).put("address", "0x" + Secp256k1.addressOf(m.key()).toString().replace("0x", "")).put("ip", m.ip())
                    .put("publicKey", "0x00");
            n.set("ports", ports(m));
        }
        Path config = home.resolve("config.json");
        Files.writeString(config, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        return config;
    }

    private static ObjectNode ports(Member m) {
        ObjectNode p = JSON.createObjectNode();
        p.put("consensus", m.consensusPort()).put("catchUp", m.consensusPort() + 1).put("rpcHttp", m.rpcPort())
                .put("rpcWs", m.rpcPort() + 1).put("metrics", m.rpcPort() + 2);
        return p;
    }

    private Process launch(Path config, int nodeId) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "-XX:+UseSerialGC", "-Xss2m",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName(), config.toString());
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("node-" + nodeId + ".log").toFile()));
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(100);
        }
    }

    private static long blockNumber(Web3j web3) {
        try {
            return web3.ethBlockNumber().send().getBlockNumber().longValueExact();
        } catch (Exception e) {
            return -1; // not (yet) answering
        }
    }

    private static Optional<TransactionReceipt> receipt(Web3j web3, String hash) {
        try {
            return web3.ethGetTransactionReceipt(hash).send().getTransactionReceipt();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String blockHash(Web3j web3, long number) throws IOException {
        return web3.ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(number)), false).send().getBlock().getHash();
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("io.flotilla.chain.node.ReplicaClusterTest#engines")
    void aMemberKilledMidLoadLosesNothingItCommittedAndCatchesUp(String engine) throws Exception {
        this.engine = engine;
        List<Member> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String ip = "127.0.0." + (80 + i);
            all.add(new Member(i + 1, BigInteger.valueOf(104_729L * (i + 2)), ip, freePort(ip), freePort(ip)));
        }
        List<Path> configs = new ArrayList<>();
        for (Member m : all) configs.add(writeConfig(m, all));
        List<Process> running = new ArrayList<>();
        for (int i = 0; i < 4; i++) running.add(launch(configs.get(i), i + 1));
        List<Web3j> rpc = all.stream().map(m -> Web3j.build(new HttpService(m.rpcUrl()))).toList();
        await("every member to answer JSON-RPC", Duration.ofSeconds(60), () -> rpc.stream().allMatch(w -> blockNumber(w) >= 0));

        // A steady stream of transfers to member 1 (index 0) while member 2 (index 1) is killed and restarted.
        List<String> sent = new CopyOnWriteArrayList<>();
        AtomicBoolean loading = new AtomicBoolean(true);
        List<Throwable> loadFailure = new CopyOnWriteArrayList<>();
        Thread load = Thread.ofPlatform().uncaughtExceptionHandler((t, e) -> loadFailure.add(e)).start(() -> {
            for (int nonce = 0; loading.get(); nonce++) {
                try {
                    RawTransaction tx = RawTransaction.createEtherTransaction(BigInteger.valueOf(nonce), BigInteger.ONE, BigInteger.valueOf(21_000),
                            String.format("0x%040x", 0x5000 + nonce % 50), BigInteger.ONE);
                    var r = rpc.get(0).ethSendRawTransaction(Numeric.toHexString(TransactionEncoder.signMessage(tx, EVM_CHAIN_ID, OWNER))).send();
                    if (r.hasError() && r.getError().getMessage().contains("too many pending")) {
                        nonce--; // the chain is changing rounds around the killed member: back off, as a wallet would
                        Thread.sleep(200);
                        continue;
                    }
                    if (r.hasError()) throw new IllegalStateException(r.getError().getMessage());
                    sent.add(r.getTransactionHash());
                    Thread.sleep(20);
                } catch (Exception e) {
                    throw new IllegalStateException("load stopped at nonce " + nonce, e);
                }
            }
        });

        Web3j victim = rpc.get(1);
        await("transfers committed on the victim", Duration.ofSeconds(60), () -> sent.size() > 40 && receipt(victim, sent.get(40)).isPresent());
        List<String> committedBeforeKill = new ArrayList<>();
        for (String h : List.copyOf(sent)) {
            if (receipt(victim, h).isPresent()) committedBeforeKill.add(h);
        }
        long headBeforeKill = blockNumber(victim);
        running.get(1).destroyForcibly(); // SIGKILL: no shutdown hook, no flush
        assertTrue(running.get(1).waitFor(10, java.util.concurrent.TimeUnit.SECONDS));

        Thread.sleep(2_000); // the others go on
        launch(configs.get(1), 2);
        await("the killed member to answer again", Duration.ofSeconds(60), () -> blockNumber(victim) >= 0);
        assertTrue(blockNumber(victim) >= headBeforeKill, "its head did not go back");
        for (String h : committedBeforeKill) {
            assertTrue(receipt(victim, h).isPresent(), "transfer " + h + " committed before the kill is still there");
        }

        loading.set(false);
        load.join();
        assertTrue(loadFailure.isEmpty(), () -> "the load generator failed: " + loadFailure);
        String last = sent.get(sent.size() - 1);
        await("every transfer on every member", Duration.ofSeconds(90), () -> rpc.stream().allMatch(w -> receipt(w, last).isPresent()));
        long common = rpc.stream().mapToLong(SubnodeProcessTest::blockNumber).min().orElseThrow();
        for (long n = 1; n <= common; n++) {
            String expected = blockHash(rpc.get(0), n);
            for (Web3j w : rpc) assertEquals(expected, blockHash(w, n), "block " + n);
        }
        for (String h : sent) {
            Optional<TransactionReceipt> r = receipt(victim, h);
            assertTrue(r.isPresent() && r.get().isStatusOK(), "transfer " + h + " on the restarted member");
        }
        assertFalse(committedBeforeKill.isEmpty());
        rpc.forEach(Web3j::shutdown);
    }

    @Test
    void aConfigNamingAnEngineThisNodeLacksStopsItWithOneLine() throws Exception {
        engine = "pow";
        Member self = new Member(1, BigInteger.valueOf(104_729L), "127.0.0.204", freePort("127.0.0.204"), freePort("127.0.0.204"));
        Process p = launch(writeConfig(self, List.of(self)), 1);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "it stops");
        assertEquals(2, p.exitValue());
        List<String> lines = Files.readAllLines(dir.resolve("node-1.log")).stream().filter(l -> l.startsWith("flotilla-node")).toList();
        assertEquals(List.of("flotilla-node: config: unknown consensus engine 'pow' (known: bft, hotstuff)"), lines);
    }

    @Test
    void pendingTransfersSurviveASigkillOfEveryMemberAndAreIncludedAfterTheRestart() throws Exception {
        List<Member> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String ip = "127.0.0." + (84 + i);
            all.add(new Member(i + 1, BigInteger.valueOf(104_723L * (i + 2)), ip, freePort(ip), freePort(ip)));
        }
        List<Path> configs = new ArrayList<>();
        for (Member m : all) configs.add(writeConfig(m, all));
        List<Process> running = new ArrayList<>();
        for (int i = 0; i < 4; i++) running.add(launch(configs.get(i), i + 1));
        List<Web3j> rpc = all.stream().map(m -> Web3j.build(new HttpService(m.rpcUrl()))).toList();
        await("every member to answer JSON-RPC", Duration.ofSeconds(60), () -> rpc.stream().allMatch(w -> blockNumber(w) >= 0));
        String first = transfer(rpc.get(0), 0);
        await("a first transfer everywhere", Duration.ofSeconds(60), () -> rpc.stream().allMatch(w -> receipt(w, first).isPresent()));

        // Three members die: no quorum, so what member 1 accepts now stays pending, and only member 1 holds it.
        for (int i = 1; i < 4; i++) {
            running.get(i).destroyForcibly();
            assertTrue(running.get(i).waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
        }
        List<String> pending = new ArrayList<>();
        for (int n = 1; n <= 5; n++) pending.add(transfer(rpc.get(0), n));
        var seen = rpc.get(0).ethGetTransactionByHash(pending.get(4)).send().getTransaction().orElseThrow();
        assertEquals(pending.get(4), seen.getHash());
        assertEquals(null, seen.getBlockNumberRaw(), "pending: no block yet");

        // Member 1 is killed too (SIGKILL: no shutdown hook, no flush), then every member restarts on its data.
        running.get(0).destroyForcibly();
        assertTrue(running.get(0).waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
        for (int i = 0; i < 4; i++) launch(configs.get(i), i + 1);
        await("the pending transfers included on every member", Duration.ofSeconds(90),
                () -> rpc.stream().allMatch(w -> pending.stream().allMatch(h -> receipt(w, h).isPresent())));
        rpc.forEach(Web3j::shutdown);
    }

    /**
     * A subnode's volume is its own small file system (the agent's quota). When it fills, the member stops making
     * blocks without corrupting what it committed; given room again (here the filler is deleted and the member
     * restarted) it opens its store at the head it had and makes blocks again.
     */
    @Test
    void aMemberWhoseVolumeFillsStopsMakingBlocksCleanlyAndGoesOnOnceThereIsRoom() throws Exception {
        assertEquals("root", System.getProperty("user.name"), "loop mounts need root");
        String ip = "127.0.0.88";
        Member self = new Member(1, BigInteger.valueOf(104_759L), ip, freePort(ip), freePort(ip));
        Path config = writeConfig(self, List.of(self));
        Path data = Files.createDirectories(dir.resolve("node-1").resolve("data"));
        Path image = dir.resolve("volume.img");
        try (var file = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(32L << 20);
        }
        run("mkfs.ext4", "-q", "-F", "-m", "0", image.toString());
        run("mount", "-o", "loop", image.toString(), data.toString());
        Web3j rpc = Web3j.build(new HttpService(self.rpcUrl()));
        try {
            Process member = launch(config, 1);
            try {
                await("the member to answer JSON-RPC", Duration.ofSeconds(60), () -> blockNumber(rpc) >= 0);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; its log: " + Files.readString(dir.resolve("node-1.log")), e);
            }
            String first = transfer(rpc, 0);
            await("a first transfer included", Duration.ofSeconds(30), () -> receipt(rpc, first).isPresent());
            // The store is open: leave it about 1 MiB, room for some blocks, not for long.
            Path filler = data.resolve("filler");
            run("fallocate", "-l", Long.toString(Files.getFileStore(data).getUsableSpace() - (1L << 20)), filler.toString());

            // Transfers until the head stops moving for 10 s (a refused transfer is fine: the pool's writes fail too).
            long nonce = 1;
            long head = blockNumber(rpc);
            long movedAt = System.nanoTime();
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (System.nanoTime() - movedAt < Duration.ofSeconds(10).toNanos()) {
                assertTrue(System.nanoTime() < deadline, "the volume never filled: head " + head);
                for (int k = 0; k < 50; k++) {
                    if (tryTransfer(rpc, nonce)) nonce++;
                }
                long now = blockNumber(rpc);
                if (now > head) {
                    head = now;
                    movedAt = System.nanoTime();
                }
                Thread.sleep(20);
            }
            long frozen = head;
            assertTrue(frozen >= 2, "some blocks were made before the volume filled: " + frozen);
            String log = Files.readString(dir.resolve("node-1.log"));
            assertTrue(log.contains("No space left") || log.contains("IO error") || log.contains("NoSpace"),
                    "the member says why it stopped");
            if (member.isAlive()) {
                assertEquals(frozen, blockNumber(rpc), "no block after the volume filled");
            }
            member.destroyForcibly();
            assertTrue(member.waitFor(10, java.util.concurrent.TimeUnit.SECONDS));

            // Room again: the store opens at the head it had (nothing committed is lost or torn) and blocks go on.
            Files.delete(filler);
            launch(config, 1);
            await("the member to answer again", Duration.ofSeconds(60), () -> blockNumber(rpc) >= 0);
            assertTrue(blockNumber(rpc) >= frozen, "the head after the restart, " + blockNumber(rpc) + ", is at least " + frozen);
            for (long n = 1; n <= frozen; n++) {
                assertEquals(n, rpc.ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(n)), false).send().getBlock()
                        .getNumber().longValueExact());
            }
            long next = rpc.ethGetTransactionCount(OWNER.getAddress(), DefaultBlockParameter.valueOf("pending")).send()
                    .getTransactionCount().longValueExact();
            String after = transfer(rpc, next);
            await("a transfer included after the restart", Duration.ofSeconds(60), () -> receipt(rpc, after).isPresent());
        } finally {
            processes.forEach(Process::destroyForcibly);
            for (Process p : processes) p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            rpc.shutdown();
            run("umount", data.toString());
        }
    }

    private static boolean tryTransfer(Web3j web3, long nonce) {
        try {
            RawTransaction tx = RawTransaction.createEtherTransaction(BigInteger.valueOf(nonce), BigInteger.ONE, BigInteger.valueOf(21_000),
                    String.format("0x%040x", 0x7000 + nonce), BigInteger.ONE);
            return !web3.ethSendRawTransaction(Numeric.toHexString(TransactionEncoder.signMessage(tx, EVM_CHAIN_ID, OWNER))).send().hasError();
        } catch (IOException e) {
            return false;
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", command) + ": " + out);
    }

    private static String transfer(Web3j web3, long nonce) throws Exception {
        RawTransaction tx = RawTransaction.createEtherTransaction(BigInteger.valueOf(nonce), BigInteger.ONE, BigInteger.valueOf(21_000),
                String.format("0x%040x", 0x6000 + nonce), BigInteger.ONE);
        var r = web3.ethSendRawTransaction(Numeric.toHexString(TransactionEncoder.signMessage(tx, EVM_CHAIN_ID, OWNER))).send();
        assertFalse(r.hasError(), () -> r.getError().getMessage());
        return r.getTransactionHash();
    }
}
