package io.flotilla.chain.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.chain.consensus.bft.BftConfig;
import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.execution.TxSubmission;
import io.flotilla.chain.mempool.Mempool;
import io.flotilla.chain.mempool.MempoolConfig;
import io.flotilla.chain.rpc.EthApi;
import io.flotilla.chain.rpc.JsonRpcServer;
import io.flotilla.chain.rpc.RpcConfig;
import io.flotilla.chain.storage.Block;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.evm.crypto.Secp256k1;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.TestInstance;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;

/**
 * The hostile-input suite: a public chain treats every JSON-RPC caller as an attacker. Four members over real
 * sockets on loopback (127.0.0.90-93), each with its own RocksDB and JSON-RPC server, receive each attack through
 * JSON-RPC; after every attack an honest transfer must be final on every member within 5 s, and the members' heads
 * must be equal with identical blocks. A test per attack, named after it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputTest {
    private static final long CHAIN_ID = 0x464C0000L + 77;
    private static final BigInteger GWEI = TestTxs.GWEI;
    private static final BigInteger ETHER = TestTxs.ETHER;
    private static final Credentials HONEST = Credentials.create("0x" + "21".repeat(32));
    private static final Credentials ATTACKER = Credentials.create("0x" + "22".repeat(32));
    private static final Credentials SECOND_ATTACKER = Credentials.create("0x" + "25".repeat(32));
    /**
     * The four members share this machine's two cores and each re-executes every block, so a block costs the test
     * about twice its execution time in wall time: the budget is a quarter of a subnode's (one core each).
     */
    private static final Duration EXECUTION_BUDGET = Duration.ofMillis(250);
    private static final Duration FINAL_WITHIN = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** ECMUL of (1, 2) by 2^256-1 in a loop until the gas runs out: the slowest precompile per gas. */
    private static final Address EC_MUL_LOOP = Address.fromHex("0x00000000000000000000000000000000000ec001");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Member> members = new ArrayList<>();
    private Path dir;
    private long honestNonce;
    private long attackerNonce;

    private record Member(int index, BigInteger key, Address address, InetSocketAddress endpoint, ChainStore store, ChainState chain,
                          Mempool mempool, JsonRpcServer rpc, BftReplica bft) implements AutoCloseable {
        String url() {
            return rpc.url();
        }

        long head() {
            return chain.head().number();
        }

        @Override
        public void close() {
            bft.close();
            rpc.close();
            store.close();
        }
    }

    /** JUMPDEST; PUSH1 64; PUSH1 96; PUSH1 96; PUSH0; PUSH1 7; GAS; STATICCALL; POP; PUSH1 15; JUMP after storing x, y, s. */
    static byte[] ecMulLoop() {
        return Hex.decode("0x6001600052" + "6002602052" + "5f19604052" + "5b" + "60406060" + "6060" + "5f" + "6007" + "5a" + "fa" + "50"
                + "600f" + "56");
    }

    @BeforeAll
    void startChain() throws Exception {
        dir = Files.createTempDirectory("hostile-input");
        Map<Address, Genesis.GenesisAccount> alloc = new LinkedHashMap<>();
        alloc.put(TestTxs.address(HONEST), Genesis.GenesisAccount.funded(ETHER.multiply(BigInteger.valueOf(1_000_000))));
        alloc.put(TestTxs.address(ATTACKER), Genesis.GenesisAccount.funded(ETHER.multiply(BigInteger.valueOf(1_000_000))));
        alloc.put(TestTxs.address(SECOND_ATTACKER), Genesis.GenesisAccount.funded(ETHER.multiply(BigInteger.valueOf(1_000_000))));
        alloc.put(EC_MUL_LOOP, new Genesis.GenesisAccount(BigInteger.ZERO, 1, ecMulLoop(), Map.of()));
        ChainConfig config = new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, ChainConfig.DEFAULT_MIN_GAS_PRICE,
                ChainConfig.DEFAULT_MAX_TX_BYTES, ChainConfig.DEFAULT_MAX_BLOCK_BYTES, EXECUTION_BUDGET);
        Genesis genesis = new Genesis(config, 0,
                Address.of(new byte[20]), new byte[0], alloc);
        List<InetSocketAddress> endpoints = new ArrayList<>();
        List<BigInteger> keys = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String ip = "127.0.0." + (90 + i);
            endpoints.add(new InetSocketAddress(ip, freePort(ip)));
            keys.add(BigInteger.valueOf(104_729L * (i + 5)));
        }
        List<BftReplica.Peer> peers = new ArrayList<>();
        for (int i = 0; i < 4; i++) peers.add(new BftReplica.Peer(Secp256k1.addressOf(keys.get(i)), endpoints.get(i)));
        for (int i = 0; i < 4; i++) {
            ChainStore store = ChainStore.open(dir.resolve("member-" + i));
            ChainState chain = ChainState.open(store, genesis);
            Mempool mempool = new Mempool(MempoolConfig.DEFAULT, chain.config().baseFee(), System::currentTimeMillis);
            TxSubmission submission = new TxSubmission(chain, mempool);
            // As a subnode configures it: 5 MiB bodies, batches of 100, 4 processing threads.
            JsonRpcServer rpc = new JsonRpcServer(new RpcConfig(endpoints.get(i).getHostString(), 0, 5 << 20, 100, 4),
                    new EthApi(chain, mempool, submission, "hostile-test").methods()).start();
            BftReplica bft = new BftReplica(CHAIN_ID, keys.get(i), chain, mempool, submission, endpoints.get(i), peers,
                    Duration.ofMillis(200), Duration.ofSeconds(60), BftConfig.withTimeouts(Duration.ofMillis(800), Duration.ofMillis(400)),
                    Clock.systemUTC());
            bft.start();
            members.add(new Member(i, keys.get(i), Secp256k1.addressOf(keys.get(i)), endpoints.get(i), store, chain, mempool, rpc, bft));
        }
        await("a full mesh", Duration.ofSeconds(30), () -> members.stream().allMatch(m -> m.bft().network().connectedPeers().size() == 3));
        honestTransferSent(0);
        awaitIncludedEverywhere(honestHash, Duration.ofSeconds(30));
    }

    @AfterAll
    void stopChain() throws java.io.IOException {
        members.forEach(Member::close);
        try (var paths = Files.walk(dir)) { // the members' stores: a test leaves nothing in /tmp
            for (java.nio.file.Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    @AfterEach
    void anHonestTransferIsStillFinalWithinFiveSecondsOnEveryMember() throws Exception {
        awaitHonestTransferFinal();
    }

    // ---------------------------------------------------------------- attacks

    @Test
    void calldataloadAtAnOffsetNear2To63InAContractCreation() throws Exception {
        String initCode = "0x677fffffffffffffe03500"; // PUSH8 0x7fffffffffffffe0; CALLDATALOAD; STOP
        JsonNode call = rpc(0, "eth_call", obj("from", ATTACKER.getAddress(), "data", initCode, "gas", "0x186a0"));
        assertEquals("0x", call.path("result").asText(), "executes as on Ethereum (loads zeros): " + call);

        String hash = sendRaw(1, signed(ATTACKER, attackerNonce++, GWEI, 100_000, null, BigInteger.ZERO, initCode));
        awaitIncludedEverywhere(hash);
        for (Member m : members) {
            JsonNode receipt = rpc(m.index(), "eth_getTransactionReceipt", hash).path("result");
            assertEquals("0x1", receipt.path("status").asText(), "the creation succeeds on member " + m.index());
        }
    }

    @Test
    void twoTransactionsOf2_5MBOfZeroCalldataAtGasPriceZeroFromAnEmptyAccount() throws Exception {
        Credentials empty = Credentials.create("0x" + "23".repeat(32));
        int pooled = members.get(2).mempool().size();
        String data = "0x" + "00".repeat(2_500_000);
        for (int nonce = 0; nonce < 2; nonce++) {
            JsonNode answer = rpcRaw(2, request("eth_sendRawTransaction", hex(signed(empty, nonce, BigInteger.ZERO, 29_000_000,
                    "0x000000000000000000000000000000000000dead", BigInteger.ZERO, data))));
            assertEquals(-32000, answer.path("error").path("code").asInt(), answer::toString);
            assertTrue(answer.path("error").path("message").asText().startsWith("oversized data"), answer::toString);
        }
        assertEquals(pooled, members.get(2).mempool().size(), "nothing was pooled");
    }

    @Test
    void manyLargeTransactionsAreSpreadOverBlocksUnderTheSizeLimit() throws Exception {
        List<Long> blocks = largeBlocks();
        assertTrue(blocks.size() >= 2, "spread over " + blocks.size() + " blocks");
        Member m = members.get(0);
        for (long n : blocks) {
            int size = m.chain().block(n).orElseThrow().encode().length;
            assertTrue(size <= m.chain().config().maxBlockBytes(), "block " + n + " has " + size + " bytes");
        }
        for (Member x : members) assertEquals(0, x.bft().network().refusedOversize(), "no member ever built a message it cannot send");
    }

    private List<Long> largeBlocks;

    /**
     * 3.6 MB of transactions, each below the 128 KiB limit, from two senders (2 MiB each at most): more than one block
     * can hold (2 MiB), and more than a proposal could carry if blocks were bounded by gas alone. Sent once; returns
     * the blocks that hold them.
     */
    private List<Long> largeBlocks() throws Exception {
        if (largeBlocks != null) return largeBlocks;
        int size = 120 * 1024;
        String data = "0x" + "00".repeat(size);
        long secondNonce = 0;
        List<String> hashes = new ArrayList<>();
        for (int k = 0; k < 30; k++) {
            boolean second = k % 2 == 1;
            byte[] raw = signed(second ? SECOND_ATTACKER : ATTACKER, second ? secondNonce++ : attackerNonce++, GWEI, 21_000 + 4L * size,
                    "0x000000000000000000000000000000000000dead", BigInteger.ZERO, data);
            hashes.add(sendRaw(k % 4, raw));
        }
        for (String h : hashes) awaitIncludedEverywhere(h, Duration.ofSeconds(30));
        java.util.TreeSet<Long> blocks = new java.util.TreeSet<>();
        for (String h : hashes) blocks.add(members.get(0).chain().txLocation(Hex.decode(h)).orElseThrow().blockNumber());
        largeBlocks = List.copyOf(blocks);
        return largeBlocks;
    }

    @Test
    void zeroGasPriceFromAnEmptyAccount() throws Exception {
        Credentials empty = Credentials.create("0x" + "24".repeat(32));
        JsonNode answer = rpc(0, "eth_sendRawTransaction", hex(signed(empty, 0, BigInteger.ZERO, 21_000, HONEST.getAddress(), BigInteger.ZERO, "")));
        assertEquals(-32000, answer.path("error").path("code").asInt());
        assertTrue(answer.path("error").path("message").asText().startsWith("transaction underpriced"), answer::toString);
    }

    @Test
    void malformedRlp() throws Exception {
        List<String> garbage = List.of("0x", "0xc0", "0xf8ff", "0x02", "0x02c0", "0x01f8", "0x7f00", "0xff", "0x" + "c1".repeat(20_000) + "80",
                "0xf90000", "0xb9ffffffff", "0x02f8" + "ff".repeat(300), "0x" + "ab".repeat(1000));
        for (String g : garbage) {
            JsonNode answer = rpc(g.length() % 4, "eth_sendRawTransaction", g);
            assertTrue(answer.has("error"), () -> g + " -> " + answer);
            assertNoJavaInternals(answer);
        }
        for (String notHex : List.of("0xzz", "0x123", "deadbeef", "")) {
            JsonNode answer = rpc(0, "eth_sendRawTransaction", notHex);
            assertEquals(-32602, answer.path("error").path("code").asInt(), answer::toString);
        }
    }

    @Test
    void aTransactionNoBlockCouldContain() throws Exception {
        JsonNode gas = rpc(3, "eth_sendRawTransaction", hex(signed(ATTACKER, attackerNonce, GWEI, 30_000_001, HONEST.getAddress(), BigInteger.ZERO, "")));
        assertEquals("exceeds block gas limit", gas.path("error").path("message").asText(), gas::toString);
        String data = "0x" + "01".repeat(128 * 1024);
        JsonNode bytes = rpc(3, "eth_sendRawTransaction", hex(signed(ATTACKER, attackerNonce, GWEI, 3_000_000, HONEST.getAddress(), BigInteger.ZERO, data)));
        assertTrue(bytes.path("error").path("message").asText().startsWith("oversized data"), bytes::toString);
    }

    @Test
    void wrongChainId() throws Exception {
        byte[] raw = TestTxs.legacy(ATTACKER, CHAIN_ID + 1, attackerNonce, GWEI, 21_000, HONEST.getAddress(), BigInteger.ONE, "");
        JsonNode answer = rpc(1, "eth_sendRawTransaction", hex(raw));
        assertEquals(-32000, answer.path("error").path("code").asInt());
        assertTrue(answer.path("error").path("message").asText().startsWith("invalid chain id"), answer::toString);
    }

    @Test
    void hugeNonces() throws Exception {
        for (BigInteger nonce : List.of(BigInteger.TWO.pow(64).subtract(BigInteger.ONE), BigInteger.TWO.pow(63), BigInteger.TWO.pow(32),
                BigInteger.valueOf(attackerNonce + 65))) {
            RawTransaction tx = RawTransaction.createEtherTransaction(nonce, GWEI, BigInteger.valueOf(21_000), HONEST.getAddress(), BigInteger.ONE);
            JsonNode answer = rpc(2, "eth_sendRawTransaction", hex(TransactionEncoder.signMessage(tx, CHAIN_ID, ATTACKER)));
            assertEquals(-32000, answer.path("error").path("code").asInt(), () -> nonce + " -> " + answer);
            assertTrue(answer.path("error").path("message").asText().startsWith("nonce"), answer::toString);
        }
    }

    @Test
    void nonceGapsFromManyAccounts() throws Exception {
        // Empty accounts cannot pool anything any more: every transaction costs gas at a positive price.
        for (int a = 0; a < 8; a++) {
            Credentials empty = Credentials.create(BigInteger.valueOf(900_000 + a).toString(16));
            for (int n = 1; n <= 20; n++) {
                JsonNode answer = rpc(a % 4, "eth_sendRawTransaction", hex(signed(empty, n, GWEI, 21_000, HONEST.getAddress(), BigInteger.ZERO, "")));
                assertEquals("insufficient funds for gas * price + value", answer.path("error").path("message").asText(), answer::toString);
            }
        }
        // A funded account may leave at most 64 nonces of gap, and those go when they are stuck (docs/chain.md).
        long gapStart = attackerNonce + 1;
        int accepted = 0;
        for (long n = gapStart; n < gapStart + 100; n++) {
            JsonNode answer = rpc(3, "eth_sendRawTransaction", hex(signed(ATTACKER, n, GWEI, 21_000, HONEST.getAddress(), BigInteger.ZERO, "")));
            if (!answer.has("error")) accepted++;
        }
        assertEquals(64, accepted, "nonces up to 64 ahead of the next usable one");
        // Fill the gap so the attacker's later tests start from a clean nonce.
        String fill = sendRaw(3, signed(ATTACKER, attackerNonce++, GWEI, 21_000, HONEST.getAddress(), BigInteger.ZERO, ""));
        attackerNonce = gapStart + 64;
        awaitIncludedEverywhere(fill);
        await("the gapped transactions to be included", Duration.ofSeconds(20), () -> members.stream()
                .allMatch(m -> m.chain().account(TestTxs.address(ATTACKER)).nonce() == attackerNonce));
    }

    @Test
    void replacementSpam() throws Exception {
        long nonce = attackerNonce++;
        String first = sendRaw(0, signed(ATTACKER, nonce, GWEI.multiply(BigInteger.valueOf(100)), 21_000, HONEST.getAddress(), BigInteger.ZERO, ""));
        for (int k = 1; k <= 50; k++) {
            // Up to +7.5% over the pooled 100 gwei: each pays a little more, none the 10% a replacement must add.
            BigInteger price = GWEI.multiply(BigInteger.valueOf(10_000 + 15L * k)).divide(BigInteger.valueOf(100));
            JsonNode answer = rpc(0, "eth_sendRawTransaction", hex(signed(ATTACKER, nonce, price, 21_000, HONEST.getAddress(), BigInteger.ZERO, "")));
            // Refused while the first is pending, or as a used nonce once it is included: never pooled beside it.
            String message = answer.path("error").path("message").asText();
            assertTrue(message.equals("replacement transaction underpriced") || message.equals("nonce too low"), answer::toString);
        }
        awaitIncludedOrReplacedEverywhere(nonce);
        assertTrue(members.get(0).chain().txLocation(Hex.decode(first)).isPresent(), "the first one is what got in");
    }

    @Test
    void hugeBatchesAndBodies() throws Exception {
        ArrayNode batch = JsonNodeFactory.instance.arrayNode();
        for (int k = 0; k < 101; k++) batch.add(request("eth_blockNumber"));
        JsonNode tooMany = rpcRaw(0, batch);
        assertEquals(-32600, tooMany.path("error").path("code").asInt(), tooMany::toString);

        HttpResponse<String> tooLarge = post(1, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_call\",\"params\":[{\"data\":\"0x"
                + "00".repeat(3 << 20) + "\"}]}");
        assertEquals(413, tooLarge.statusCode());

        ArrayNode big = JsonNodeFactory.instance.arrayNode();
        for (int k = 0; k < 100; k++) big.add(request("eth_getBlockByNumber", "latest", true));
        JsonNode answers = rpcRaw(2, big);
        assertEquals(100, answers.size(), "a full batch is answered");
    }

    @Test
    void hugeAnswers() throws Exception {
        // A batch of 100 full copies of 2 MiB blocks would be about 450 MB of JSON: the answers stop at 16 MiB.
        List<Long> blocks = largeBlocks();
        ArrayNode batch = JsonNodeFactory.instance.arrayNode();
        for (int k = 0; k < 100; k++) batch.add(request("eth_getBlockByNumber", "0x" + Long.toHexString(blocks.get(k % blocks.size())), true));
        HttpResponse<String> r = post(0, JSON.writeValueAsString(batch));
        assertTrue(r.body().length() < 25_000_000, "answer of " + r.body().length() + " bytes");
        JsonNode answers = JSON.readTree(r.body());
        assertEquals(100, answers.size(), "every request is answered");
        assertEquals(-32003, answers.get(99).path("error").path("code").asInt(), () -> answers.get(99).toString());

        JsonNode logs = rpc(0, "eth_getLogs", obj("fromBlock", "0x0", "toBlock", "latest"));
        assertTrue(logs.has("result") || logs.path("error").path("code").asInt() == -32000, logs::toString);
        JsonNode range = rpc(0, "eth_getLogs", obj("fromBlock", "0x0", "toBlock", "0xffffffffffff"));
        assertTrue(range.has("error") || range.path("result").isArray(), range::toString);
        assertNoJavaInternals(range);
    }

    @Test
    void slowClients() throws Exception {
        Member target = members.get(0);
        InetSocketAddress rpcAddress = new InetSocketAddress(target.endpoint().getAddress(), target.rpc().port());
        List<Socket> slow = new ArrayList<>();
        try {
            for (int k = 0; k < 64; k++) {
                Socket s = new Socket();
                s.connect(rpcAddress, 2_000);
                OutputStream out = s.getOutputStream();
                // Half a request: headers promising a body that never comes, and one with unfinished headers.
                String head = k % 2 == 0 ? "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"jsonrpc\""
                        : "POST / HTTP/1.1\r\nHost: x\r\nContent-";
                out.write(head.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                slow.add(s);
            }
            long started = System.nanoTime();
            JsonNode number = rpc(0, "eth_blockNumber");
            assertTrue(number.path("result").asText().startsWith("0x"), number::toString);
            assertTrue(System.nanoTime() - started < Duration.ofSeconds(2).toNanos(), "an honest request waits behind no slow client");
            awaitHonestTransferFinal(0);
        } finally {
            for (Socket s : slow) s.close();
        }
    }

    @Test
    void ethCallAndEstimateGasOfPathologicalCode() throws Exception {
        String endless = "0x5b5f56"; // JUMPDEST; PUSH0; JUMP
        JsonNode call = rpc(0, "eth_call", obj("from", ATTACKER.getAddress(), "data", endless));
        assertEquals("out of gas", call.path("error").path("message").asText(), call::toString);
        JsonNode estimate = rpc(0, "eth_estimateGas", obj("from", ATTACKER.getAddress(), "data", endless));
        assertTrue(estimate.has("error"), estimate::toString);

        // Four calls at once into the slowest precompile per gas occupy every processing thread of member 0 for as
        // long as the node lets a call run; the chain goes on meanwhile, through the other members.
        List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
        long started = System.nanoTime();
        for (int k = 0; k < 4; k++) {
            calls.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return rpc(0, "eth_call", obj("from", ATTACKER.getAddress(), "to", EC_MUL_LOOP.toString()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        awaitHonestTransferFinal(1);
        for (CompletableFuture<JsonNode> f : calls) {
            JsonNode answer = f.get();
            assertTrue(answer.has("error"), answer::toString); // out of gas, or aborted at the deadline
            assertNoJavaInternals(answer);
        }
        long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        assertTrue(seconds <= ChainState.CALL_TIMEOUT.toSeconds() + 5, "each call ends by the deadline; took " + seconds + " s");
    }

    @Test
    @Order(Integer.MAX_VALUE) // the others need not wait behind its transactions
    void aStreamOfWorstCaseBlocks() throws Exception {
        // Transactions that spend all their gas in the slowest precompile per gas: 60 M gas, two blocks by gas, but
        // several blocks' worth of execution time. The proposers stop at the execution budget, every member
        // re-executes what it got, and the chain keeps deciding, honest transfers first (they pay a tip).
        List<String> hashes = new ArrayList<>();
        for (int k = 0; k < 60; k++) {
            hashes.add(sendRaw(k % 4, signed(ATTACKER, attackerNonce++, GWEI, 1_000_000, EC_MUL_LOOP.toString(), BigInteger.ZERO, "")));
        }
        for (int round = 0; round < 3; round++) awaitHonestTransferFinal(round % 4);
        for (String h : hashes) awaitIncludedEverywhere(h, Duration.ofSeconds(90));
        java.util.Set<Long> blocks = new java.util.TreeSet<>();
        for (String h : hashes) blocks.add(members.get(0).chain().txLocation(Hex.decode(h)).orElseThrow().blockNumber());
        assertTrue(blocks.size() >= 3, "the execution budget cut the stream into " + blocks.size() + " blocks");
    }

    // ---------------------------------------------------------------- the honest user

    private String honestHash;

    private void honestTransferSent(int via) throws Exception {
        // A tip over the base fee, as wallets add: honest transfers go before the attacker's minimum-price ones.
        honestHash = sendRaw(via, signed(HONEST, honestNonce++, GWEI.multiply(BigInteger.TWO), 21_000,
                "0x00000000000000000000000000000000000000aa", BigInteger.ONE, ""));
    }

    private void awaitHonestTransferFinal() throws Exception {
        awaitHonestTransferFinal((int) (honestNonce % 4));
    }

    private void awaitHonestTransferFinal(int via) throws Exception {
        honestTransferSent(via);
        awaitIncludedEverywhere(honestHash, FINAL_WITHIN);
        await("equal heads", Duration.ofSeconds(3), () -> members.stream().mapToLong(Member::head).distinct().count() == 1);
        assertSameBlocks();
    }

    private void assertSameBlocks() {
        long common = members.stream().mapToLong(Member::head).min().orElseThrow();
        for (long h = Math.max(1, common - 20); h <= common; h++) {
            byte[] first = members.get(0).chain().header(h).orElseThrow().hash();
            for (Member m : members) assertArrayEquals(first, m.chain().header(h).orElseThrow().hash(), "block " + h + " on member " + m.index());
        }
    }

    // ---------------------------------------------------------------- helpers

    private void awaitIncludedEverywhere(String hash) throws Exception {
        awaitIncludedEverywhere(hash, Duration.ofSeconds(15));
    }

    private void awaitIncludedEverywhere(String hash, Duration limit) throws Exception {
        byte[] h = Hex.decode(hash);
        await("transaction " + hash + " on every member", limit, () -> members.stream().allMatch(m -> m.chain().txLocation(h).isPresent()));
    }

    private void awaitIncludedOrReplacedEverywhere(long attackerNonceUsed) throws Exception {
        await("the attacker's nonce " + attackerNonceUsed + " used on every member", Duration.ofSeconds(15),
                () -> members.stream().allMatch(m -> m.chain().account(TestTxs.address(ATTACKER)).nonce() > attackerNonceUsed));
    }

    private void await(String what, Duration limit, Check condition) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.ok()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out after " + limit.toMillis() + " ms waiting for " + what + describe());
            Thread.sleep(20);
        }
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private String describe() {
        StringBuilder b = new StringBuilder();
        for (Member m : members) {
            b.append("\n  member ").append(m.index()).append(" head ").append(m.head()).append(" status ").append(m.bft().status())
                    .append(" pool ").append(m.mempool().size()).append(" peers ").append(m.bft().network().connectedPeers().size());
        }
        return b.toString();
    }

    private static void assertNoJavaInternals(JsonNode answer) {
        String text = answer.toString();
        for (String tell : List.of("Exception", "java.", "Index ", "out of bounds", "null")) {
            assertFalse(text.contains(tell), () -> "the answer shows Java internals (" + tell + "): " + text);
        }
    }

    private static byte[] signed(Credentials from, long nonce, BigInteger gasPrice, long gas, String to, BigInteger value, String data) {
        RawTransaction tx = to == null
                ? RawTransaction.createContractTransaction(BigInteger.valueOf(nonce), gasPrice, BigInteger.valueOf(gas), value, data)
                : RawTransaction.createTransaction(BigInteger.valueOf(nonce), gasPrice, BigInteger.valueOf(gas), to, value, data);
        return TransactionEncoder.signMessage(tx, CHAIN_ID, from);
    }

    private static String hex(byte[] raw) {
        return Hex.encode(raw);
    }

    private String sendRaw(int member, byte[] raw) throws Exception {
        JsonNode answer = rpc(member, "eth_sendRawTransaction", hex(raw));
        assertFalse(answer.has("error"), answer::toString);
        return answer.path("result").asText();
    }

    private static ObjectNode obj(String... kv) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < kv.length; i += 2) o.put(kv[i], kv[i + 1]);
        return o;
    }

    private static ObjectNode request(String method, Object... params) {
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        r.put("jsonrpc", "2.0");
        r.put("id", 1);
        r.put("method", method);
        ArrayNode p = r.putArray("params");
        for (Object o : params) {
            if (o instanceof JsonNode n) p.add(n);
            else if (o instanceof Boolean b) p.add(b);
            else p.add(String.valueOf(o));
        }
        return r;
    }

    private JsonNode rpc(int member, String method, Object... params) throws Exception {
        return rpcRaw(member, request(method, params));
    }

    private JsonNode rpcRaw(int member, JsonNode body) throws Exception {
        HttpResponse<String> r = post(member, JSON.writeValueAsString(body));
        return JSON.readTree(r.body());
    }

    private HttpResponse<String> post(int member, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(members.get(member).url())).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort(String ip) throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(ip))) {
            return s.getLocalPort();
        }
    }
}
