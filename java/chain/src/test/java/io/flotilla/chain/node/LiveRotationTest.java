package io.flotilla.chain.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.chain.consensus.MemberSet;
import io.flotilla.chain.storage.BlockHeader;
import io.flotilla.evm.crypto.Secp256k1;
import io.flotilla.evm.types.Address;
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
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.crypto.Wallet;
import org.web3j.utils.Numeric;

/**
 * Subnodes started from config files the way the agent writes them, on real sockets on loopback (127.0.0.110+i), each
 * with its own RocksDB: the agent rewrites the config file (temporary file, then rename) and the running subnode
 * applies a new member set live, without a restart, while transfers keep finalizing; a rewrite that is invalid, or
 * that changes what needs a new process, leaves the config in force; a member restarted on its store keeps its
 * pending transactions, answers for them, and gossips them until they are included.
 */
class LiveRotationTest {

    private static final Credentials OWNER = Credentials.create("0x" + "33".repeat(32));
    private static final long CHAIN_ID = 12;
    private static final long EVM_CHAIN_ID = 0x464C0000L + CHAIN_ID;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    private final List<Member> members = new ArrayList<>();
    private final Subnode[] nodes = new Subnode[5];
    private int nonce;

    private record Member(int nodeId, BigInteger key, String ip, int consensusPort, int rpcPort, int wsPort) {
        Address address() {
            return Secp256k1.addressOf(key);
        }

        String rpcUrl() {
            return "http://" + ip + ":" + rpcPort;
        }
    }

    @AfterEach
    void stop() {
        for (Subnode n : nodes) {
            if (n != null) n.close();
        }
    }

    private void createMembers(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            String ip = "127.0.0." + (110 + i);
            members.add(new Member(i + 1, BigInteger.valueOf(15_485_863L * (i + 2)), ip, freePort(ip), freePort(ip), freePort(ip)));
        }
    }

    private static int freePort(String ip) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(ip))) {
            return s.getLocalPort();
        }
    }

    private static final String IMAGE = "sha256:" + "ab".repeat(32);

    private Path configPath(Member self) {
        return dir.resolve("node-" + self.nodeId()).resolve("config").resolve("config.json");
    }

    /** The config the agent writes for {@code self} with members {@code set}, written as the agent does: temp file, rename. */
    private Path writeConfig(Member self, List<Member> set, long chainId) throws Exception {
        Path home = Files.createDirectories(dir.resolve("node-" + self.nodeId()));
        Path key = home.resolve("node-key.json");
        if (!Files.exists(key)) {
            Files.writeString(key, JSON.writeValueAsString(Wallet.createLight("pw", ECKeyPair.create(self.key()))));
            Files.writeString(home.resolve("node-key.password"), "pw\n");
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("chainId", chainId).put("chainName", "live").put("evmChainId", EVM_CHAIN_ID).put("nodeId", self.nodeId())
                .put("bindIp", self.ip()).put("keyFile", key.toString()).put("passwordFile", home.resolve("node-key.password").toString())
                .put("dataDir", home.resolve("data").toString()).put("slot", 0);
        root.set("ports", ports(self));
        root.putObject("image").put("version", "live-1").put("id", IMAGE);
        root.putObject("consensus").put("engine", "bft").put("blockTimeMs", 200).put("heartbeatMs", 2_000);
        ObjectNode genesis = root.putObject("genesis");
        genesis.put("owner", OWNER.getAddress()).put("gasLimit", 30_000_000).put("minGasPriceWei", "0");
        genesis.putObject("alloc").put(OWNER.getAddress(), "1000000000000000000000000");
        ArrayNode list = root.putArray("members");
        for (Member m : set) {
            ObjectNode n = list.addObject();
            n.put("nodeId", m.nodeId()).put("address", m.address().toString()).put("ip", m.ip()).put("publicKey", "0x00");
            n.set("ports", ports(m));
        }
        return writeAtomically(self, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }

    private Path writeAtomically(Member self, String content) throws IOException {
        Path config = configPath(self);
        Files.createDirectories(config.getParent());
        Path tmp = Files.createTempFile(config.getParent(), ".config-", ".tmp");
        Files.writeString(tmp, content);
        return Files.move(tmp, config, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static ObjectNode ports(Member m) {
        ObjectNode p = JSON.createObjectNode();
        p.put("consensus", m.consensusPort()).put("catchUp", m.consensusPort() + 1).put("rpcHttp", m.rpcPort())
                .put("rpcWs", m.wsPort()).put("metrics", m.rpcPort() + 2);
        return p;
    }

    private void startChain(int n) throws Exception {
        createMembers(5);
        List<Member> set = members.subList(0, n);
        for (Member m : set) writeConfig(m, set, CHAIN_ID);
        for (int i = 0; i < n; i++) nodes[i] = Subnode.start(configPath(members.get(i)));
    }

    private static JsonNode rpc(String url, String method, String params) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + params + "}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    private String sendTransfer(Member via) throws Exception {
        int n = nonce++;
        RawTransaction tx = RawTransaction.createEtherTransaction(BigInteger.valueOf(n), BigInteger.ONE, BigInteger.valueOf(21_000),
                String.format("0x%040x", 0x7000 + n), BigInteger.valueOf(1_000 + n));
        JsonNode r = rpc(via.rpcUrl(), "eth_sendRawTransaction",
                "[\"" + Numeric.toHexString(TransactionEncoder.signMessage(tx, EVM_CHAIN_ID, OWNER)) + "\"]");
        assertFalse(r.has("error"), () -> "transfer " + n + " refused: " + r);
        return r.get("result").asText();
    }

    private static boolean included(Subnode node, String hash) {
        return node.chain().txLocation(Numeric.hexStringToByteArray(hash)).isPresent();
    }

    private String describe() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < nodes.length; i++) {
            Subnode n = nodes[i];
            if (n == null) continue;
            b.append("\n  node ").append(i + 1).append(" head ").append(n.head()).append(" status ").append(n.replica().status())
                    .append(" peers ").append(n.replica().network().connectedPeers().size()).append(" pool ").append(n.mempool().size())
                    .append(" caught up ").append(n.replica().blocksCaughtUp());
        }
        return b.toString();
    }

    private void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what + describe());
            Thread.sleep(50);
        }
    }

    @Test
    void aRewrittenConfigReplacesAMemberLiveWhileTransfersKeepFinalizing() throws Exception {
        startChain(4);
        Member entry = members.get(0);
        Subnode[] staying = {nodes[0], nodes[1], nodes[2]};
        String first = sendTransfer(entry);
        await("the first transfer on the four members", Duration.ofSeconds(60),
                () -> List.of(nodes[0], nodes[1], nodes[2], nodes[3]).stream().allMatch(n -> included(n, first)));

        // A transfer every 250 ms through member 1, which stays; member 1's head is watched for the longest pause.
        List<String> sent = new CopyOnWriteArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread load = Thread.ofPlatform().start(() -> {
            while (running.get()) {
                try {
                    sent.add(sendTransfer(entry));
                    Thread.sleep(250);
                } catch (Throwable e) {
                    failures.add(e);
                    return;
                }
            }
        });
        AtomicLong longestPauseMs = new AtomicLong();
        StringBuffer timeline = new StringBuffer();
        long t0 = System.nanoTime();
        AtomicBoolean measuring = new AtomicBoolean(false);
        Thread watch = Thread.ofPlatform().daemon().start(() -> {
            long head = nodes[0].head();
            long movedAt = System.nanoTime();
            String lastStatus = "";
            while (running.get()) {
                long h = nodes[0].head();
                long now = System.nanoTime();
                var st = nodes[0].replica().status();
                String key = st == null ? "" : st.height() + "/" + st.round();
                if (measuring.get() && !key.equals(lastStatus)) {
                    Subnode five = nodes[4];
                    timeline.append(String.format("%n  +%d ms: node 1 at %s %s head %d; node 5: %s head %d pool %d, proposer %s", (now - t0) / 1_000_000, key, st.step(), h,
                            five == null ? "-" : five.replica().status(), five == null ? -1 : five.head(), five == null ? -1 : five.mempool().size(),
                            nodes[0].replica().decidingMembers().proposer(st.height(), st.round()).toString().substring(0, 8))
                            + " node 1 links " + nodes[0].replica().network().connectedPeers().stream().map(a -> a.toString().substring(0, 8)).toList()
                            + " node 2 " + nodes[1].replica().status() + " links " + nodes[1].replica().network().connectedPeers().size() + " pool " + nodes[1].mempool().size()
                            + " node 3 " + nodes[2].replica().status() + " links " + nodes[2].replica().network().connectedPeers().size() + " pool " + nodes[2].mempool().size());
                    lastStatus = key;
                }
                if (measuring.get()) longestPauseMs.accumulateAndGet((now - movedAt) / 1_000_000, Math::max);
                if (h != head) {
                    if ((now - movedAt) / 1_000_000 > 1_000) {
                        timeline.append(String.format("%n  +%d ms: head %d after %d ms; status %s", (now - t0) / 1_000_000, h,
                                (now - movedAt) / 1_000_000, nodes[0].replica().status()));
                    }
                    head = h;
                    movedAt = now;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        Thread.sleep(1_500);

        // Member 4 leaves (its subnode is stopped), member 5 joins with an empty store; the agents of members 1-3
        // rewrite their config files; nothing restarts them.
        measuring.set(true);
        timeline.append(String.format("%n  +%d ms: measuring from head %d", (System.nanoTime() - t0) / 1_000_000, nodes[0].head()));
        List<Member> after = List.of(members.get(0), members.get(1), members.get(2), members.get(4));
        writeConfig(members.get(4), after, CHAIN_ID);
        nodes[4] = Subnode.start(configPath(members.get(4)));
        timeline.append(String.format("%n  +%d ms: member 5 started", (System.nanoTime() - t0) / 1_000_000));
        nodes[3].close();
        nodes[3] = null;
        timeline.append(String.format("%n  +%d ms: member 4 stopped", (System.nanoTime() - t0) / 1_000_000));
        for (int i = 0; i < 3; i++) writeConfig(members.get(i), after, CHAIN_ID);
        timeline.append(String.format("%n  +%d ms: configs rewritten", (System.nanoTime() - t0) / 1_000_000));
        MemberSet afterSet = MemberSet.sorted(after.stream().map(Member::address).toList());
        await("the switch recorded by the chain and the new member caught up", Duration.ofSeconds(60), () -> {
            long h = nodes[4].head();
            return h > 0 && nodes[4].replica().decidingMembers().equals(afterSet) && h >= nodes[0].head() - 1;
        });
        Thread.sleep(3_000); // transfers keep coming after the switch
        running.set(false);
        load.join();
        watch.join();
        assertTrue(failures.isEmpty(), () -> "member 1 kept answering JSON-RPC during the switch: " + failures);

        List<Subnode> current = List.of(nodes[0], nodes[1], nodes[2], nodes[4]);
        await(sent.size() + " transfers on the new set", Duration.ofSeconds(60),
                () -> current.stream().allMatch(n -> sent.stream().allMatch(h -> included(n, h))));
        for (int i = 0; i < 3; i++) {
            assertSame(staying[i], nodes[i]);
            assertEquals(1, nodes[i].configChangesApplied(), "member " + (i + 1) + " applied the new set live, once");
            assertEquals(afterSet, nodes[i].replica().decidingMembers());
        }
        for (long h = 1; h <= nodes[0].head(); h++) {
            BlockHeader header = nodes[0].chain().header(h).orElseThrow();
            timeline.append(String.format("%n  block %d by %s declares %s", h, header.proposer().toString().substring(0, 8),
                    MemberSet.decode(header.extraData()).members().stream().map(a -> a.toString().substring(0, 8)).toList()));
        }
        System.out.println("{\"test\":\"live-switch\",\"longest_pause_ms\":" + longestPauseMs.get() + ",\"transfers\":" + sent.size() + "}");
        assertTrue(longestPauseMs.get() <= 3_000, "longest pause between blocks during the switch: " + longestPauseMs.get() + " ms" + timeline);
        assertTrue(nodes[4].replica().blocksCaughtUp() > 0, "the new member downloaded the blocks before the switch");

        // The chain recorded the switch: one block declares the new set, and the blocks after it are decided by it.
        long switchAt = -1;
        for (long h = 1; h <= nodes[0].head() && switchAt < 0; h++) {
            BlockHeader header = nodes[0].chain().header(h).orElseThrow();
            if (MemberSet.decode(header.extraData()).equals(afterSet)) switchAt = h + 1;
        }
        assertTrue(switchAt > 2, "switch height recorded: " + switchAt);

        // The new member votes: with member 3 stopped too, members 1, 2 and 5 are a quorum of the new set.
        nodes[2].close();
        nodes[2] = null;
        String late = sendTransfer(members.get(1));
        await("a transfer decided by members 1, 2 and 5", Duration.ofSeconds(60),
                () -> List.of(nodes[0], nodes[1], nodes[4]).stream().allMatch(n -> included(n, late)));

        JsonNode health = rpc(entry.rpcUrl(), "flotilla_health", "[]").get("result");
        assertTrue(health.get("finalizing").asBoolean(), health::toString);
        assertEquals(4, health.get("members").size(), health::toString);
        assertEquals(nodes[0].head(), health.get("head").asLong(), 1);
        assertTrue(health.get("lastCommitAgeMs").asLong() < 10_000, health::toString);
        assertEquals(2, health.get("peersConnected").asInt(), health::toString); // members 2 and 5
        // The image its agent started it with: other members' agents order an image rollout by it (docs/agent.md).
        assertEquals(IMAGE, health.get("image").asText(), health::toString);
    }

    @Test
    void aMemberRemovedFromTheConfigIsDisconnectedOnceTheChainSwitched() throws Exception {
        startChain(4);
        String warm = sendTransfer(members.get(0));
        await("a first block", Duration.ofSeconds(60), () -> included(nodes[0], warm));
        Address leaving = members.get(3).address();
        await("member 1 linked with member 4", Duration.ofSeconds(10), () -> nodes[0].replica().network().connectedPeers().contains(leaving));

        // Members 1-3 are configured without member 4, whose subnode keeps running with its old config.
        List<Member> three = members.subList(0, 3);
        for (Member m : three) writeConfig(m, three, CHAIN_ID);
        MemberSet threeSet = MemberSet.sorted(three.stream().map(Member::address).toList());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!nodes[0].replica().decidingMembers().equals(threeSet) && System.nanoTime() < deadline) {
            sendTransfer(members.get(0)); // blocks keep coming, so the switch block is made
            Thread.sleep(300);
        }
        assertEquals(threeSet, nodes[0].replica().decidingMembers(), "the chain switched to three members" + describe());
        await("the links to member 4 closed", Duration.ofSeconds(10),
                () -> List.of(nodes[0], nodes[1], nodes[2]).stream().noneMatch(n -> n.replica().network().connectedPeers().contains(leaving)));
        String last = sendTransfer(members.get(1));
        await("a transfer decided by the three", Duration.ofSeconds(30),
                () -> List.of(nodes[0], nodes[1], nodes[2]).stream().allMatch(n -> included(n, last)));
        Thread.sleep(1_000);
        assertTrue(List.of(nodes[0], nodes[1], nodes[2]).stream().noneMatch(n -> n.replica().network().connectedPeers().contains(leaving)),
                "member 4 cannot link again: it is no member any more");
    }

    @Test
    void anInvalidRewriteIsIgnoredAndOneNeedingANewProcessKeepsTheRunningValues() throws Exception {
        startChain(4);
        Member m = members.get(0);
        List<Member> four = members.subList(0, 4);
        writeAtomically(m, "{\"chainId\": 12, \"members\": ");
        await("the bad file noticed", Duration.ofSeconds(10), () -> !nodes[0].lastConfigProblem().isEmpty());
        assertTrue(nodes[0].lastConfigProblem().startsWith("new config ignored, the previous one stays in force: config "),
                nodes[0].lastConfigProblem());
        assertEquals(4, nodes[0].configInForce().members().size());

        // A member that is not this node's: refused as a whole, naming the problem.
        writeConfig(m, List.of(members.get(1), members.get(2), members.get(3)), CHAIN_ID);
        await("the config without this node noticed", Duration.ofSeconds(10),
                () -> nodes[0].lastConfigProblem().contains("members does not include this node (nodeId 1)"));
        assertEquals(4, nodes[0].configInForce().members().size());

        // Another chain id: only a new process takes it; the running one keeps its chain.
        writeConfig(m, four, CHAIN_ID + 1);
        await("the chain id change noticed", Duration.ofSeconds(10), () -> nodes[0].lastConfigProblem().contains("chainId"));
        assertEquals(CHAIN_ID, nodes[0].configInForce().chainId());
        assertEquals(0, nodes[0].configChangesApplied());

        String hash = sendTransfer(m);
        await("a transfer after the rewrites", Duration.ofSeconds(30), () -> included(nodes[0], hash) && included(nodes[3], hash));
    }

    @Test
    void aRestartedMemberKeepsAnswersForAndGossipsItsPendingTransactionsUntilIncluded() throws Exception {
        startChain(4);
        Member m = members.get(0);
        String warm = sendTransfer(m);
        await("a first block", Duration.ofSeconds(60), () -> included(nodes[0], warm));

        // Without a quorum nothing is decided: the transfers stay pending on member 1 only.
        for (int i = 1; i < 4; i++) {
            nodes[i].close();
            nodes[i] = null;
        }
        List<String> pending = new ArrayList<>();
        for (int k = 0; k < 5; k++) pending.add(sendTransfer(m));
        JsonNode tx = rpc(m.rpcUrl(), "eth_getTransactionByHash", "[\"" + pending.get(4) + "\"]").get("result");
        assertEquals(pending.get(4), tx.get("hash").asText());
        assertTrue(tx.get("blockHash").isNull() && tx.get("blockNumber").isNull() && tx.get("transactionIndex").isNull(), tx::toString);

        // Its health tells consensus is not finalizing (transactions wait, no quorum), though its JSON-RPC answers.
        await("flotilla_health to report no finalization", Duration.ofSeconds(20), () -> {
            try {
                JsonNode h = rpc(m.rpcUrl(), "flotilla_health", "[]").get("result");
                return !h.get("finalizing").asBoolean() && h.get("peersConnected").asInt() == 0 && h.get("pendingTransactions").asInt() == 5;
            } catch (Exception e) {
                return false;
            }
        });

        // Member 1 restarts on its store: its pool is back, and it answers for the pending transfers.
        nodes[0].close();
        nodes[0] = Subnode.start(configPath(m));
        assertEquals(5, nodes[0].mempool().size(), "the pending transfers were reloaded");
        JsonNode again = rpc(m.rpcUrl(), "eth_getTransactionByHash", "[\"" + pending.get(0) + "\"]").get("result");
        assertEquals(pending.get(0), again.get("hash").asText());
        assertTrue(again.get("blockNumber").isNull());

        // The others come back (their pools never had the transfers); member 1 sends them its pool, and they are included.
        for (int i = 1; i < 4; i++) nodes[i] = Subnode.start(configPath(members.get(i)));
        List<Subnode> all = List.of(nodes[0], nodes[1], nodes[2], nodes[3]);
        await("the pending transfers on every member", Duration.ofSeconds(60),
                () -> all.stream().allMatch(n -> pending.stream().allMatch(h -> included(n, h))));
        assertTrue(nodes[0].replica().poolGossip()[0] >= 5, "member 1 gossiped its pool to the members that connected");
        assertTrue(all.stream().allMatch(n -> n.mempool().size() == 0), "included transactions left every pool");
    }
}
