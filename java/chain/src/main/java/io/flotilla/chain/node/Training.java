package io.flotilla.chain.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.chain.consensus.NodeKey;
import io.flotilla.chain.consensus.Signature;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.rlp.Rlp;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.subnode.config.SubnodeConfigJson;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The training run of the subnode image's ahead-of-time cache ({@code flotilla-node --train DIR [ROUNDS]}, JDK 25's
 * JEP 515): a chain of four members in this process on 127.0.0.1 takes the work a busy subnode does, so the JVM that
 * runs it records which classes load and which methods get hot, with their profiles. A subnode started with that
 * cache compiles its hot methods from the first requests on instead of first profiling them in slower tiers
 * (docs/chain.md, "Warm-up"; figures in docs/benchmarks.md).
 *
 * <p>The work: a token contract deployed and funded, then {@code rounds} transactions from each of 64 senders over
 * JSON-RPC (four token transfers to one plain transfer), spread over the members, with the reads a wallet makes
 * alongside (receipts, blocks, balances, calls, gas estimates, logs). It ends only when every member has committed
 * every transaction and agrees on the token's balances and the head's hash: a training run is also a check that the
 * runtime of the image works.
 */
public final class Training {

    /** What a training run did. */
    public record Result(int transactions, long head, Duration took) {}

    static final int MEMBERS = 4;
    static final int SENDERS = 64;
    private static final long MANAGER_CHAIN_ID = 1;
    private static final long EVM_CHAIN_ID = io.flotilla.subnode.config.SubnodeConfig.EVM_CHAIN_ID_BASE + MANAGER_CHAIN_ID;
    private static final BigInteger GAS_PRICE = BigInteger.valueOf(1_000_000_000L);
    private static final BigInteger ETHER = BigInteger.TEN.pow(18);
    private static final BigInteger TOKENS_PER_SENDER = BigInteger.TEN.pow(24);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** keccak256("Transfer(address,address,uint256)"), the ERC-20 event. */
    private static final byte[] TRANSFER_EVENT = Keccak.hash("Transfer(address,address,uint256)".getBytes(StandardCharsets.US_ASCII));
    private static final Duration COMMIT_TIMEOUT = Duration.ofMinutes(3);

    private final Path dir;
    private final int rounds;
    private final byte[] tokenCode;
    private final PrintStream log;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    private final AtomicLong requests = new AtomicLong();

    private Training(Path dir, int rounds, byte[] tokenCode, PrintStream log) {
        this.dir = dir;
        this.rounds = rounds;
        this.tokenCode = tokenCode;
        this.log = log;
    }

    /**
     * Runs a training chain in {@code dir} (created, and deleted afterwards) with {@code rounds} transactions per
     * sender. {@code tokenCreationCode}: the creation code of an ERC-20 whose constructor takes the supply (one
     * uint256), mints it to the deployer and keeps {@code balanceOf} in a mapping at slot 0, as OpenZeppelin's does; or
     * null for {@link TokenCode}.
     */
    public static Result run(Path dir, int rounds, byte[] tokenCreationCode, PrintStream log) throws Exception {
        if (rounds < 1) throw new IllegalArgumentException("rounds must be at least 1, got " + rounds);
        byte[] code = TokenCode.initCode();
        if (tokenCreationCode != null) {
            code = java.util.Arrays.copyOf(tokenCreationCode, tokenCreationCode.length + 32);
            byte[] supply = TokenCode.INITIAL_SUPPLY.toByteArray();
            System.arraycopy(supply, 1, code, code.length - 16, 16);
        }
        Files.createDirectories(dir);
        try {
            return new Training(dir, rounds, code, log).train();
        } finally {
            deleteTree(dir);
        }
    }

    private Result train() throws Exception {
        long started = System.nanoTime();
        List<BigInteger> nodeSecrets = secrets("flotilla-training-node-", MEMBERS);
        List<NodeKey> nodeKeys = nodeSecrets.stream().map(NodeKey::new).toList();
        List<NodeKey> senders = keys("flotilla-training-sender-", SENDERS);
        NodeKey deployer = keys("flotilla-training-deployer-", 1).get(0);
        List<int[]> ports = new ArrayList<>();
        for (int i = 0; i < MEMBERS; i++) ports.add(freePorts(5));
        List<Subnode> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < MEMBERS; i++) {
                String json = config(i, nodeKeys, ports, Stream.concat(senders.stream(), Stream.of(deployer)).map(NodeKey::address).toList());
                nodes.add(Subnode.start(SubnodeConfigJson.read(json), nodeSecrets.get(i)));
            }
            List<String> urls = nodes.stream().map(Subnode::rpcUrl).toList();
            log.println("training: " + MEMBERS + " members up, deploying the token");

            Address token = io.flotilla.evm.vm.ContractAddress.create(deployer.address(), 0);
            send(urls.get(0), signed(deployer, 0, 5_000_000, null, BigInteger.ZERO, tokenCode));
            Map<Address, BigInteger> balances = new ConcurrentHashMap<>();
            balances.put(deployer.address(), TokenCode.INITIAL_SUPPLY);
            for (int s = 0; s < SENDERS; s++) {
                send(urls.get(s % MEMBERS), signed(deployer, 1 + s, 100_000, token, BigInteger.ZERO, TokenCode.transfer(senders.get(s).address(), TOKENS_PER_SENDER)));
                balances.merge(deployer.address(), TOKENS_PER_SENDER.negate(), BigInteger::add);
                balances.merge(senders.get(s).address(), TOKENS_PER_SENDER, BigInteger::add);
            }
            awaitNonce(urls, deployer.address(), 1 + SENDERS);
            log.println("training: " + SENDERS + " senders funded, sending " + SENDERS * rounds + " transactions");

            AtomicBoolean loadDone = new AtomicBoolean();
            Thread reader = Thread.ofPlatform().name("training-reads").start(() -> reads(urls, token, senders, loadDone));
            int threads = 8;
            List<Thread> workers = new ArrayList<>();
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (int t = 0; t < threads; t++) {
                int worker = t;
                workers.add(Thread.ofPlatform().name("training-" + t).start(() -> {
                    try {
                        load(worker, threads, urls, senders, token, balances);
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread w : workers) w.join();
            if (!failures.isEmpty()) throw new IllegalStateException("training load failed: " + failures.get(0), failures.get(0));
            for (NodeKey s : senders) awaitNonce(urls, s.address(), rounds);
            loadDone.set(true);
            reader.join();
            long head = verify(urls, token, balances);
            int transactions = 1 + SENDERS + SENDERS * rounds;
            return new Result(transactions, head, Duration.ofNanos(System.nanoTime() - started));
        } finally {
            for (Subnode n : nodes.reversed()) n.close();
        }
    }

    /** Sender threads: sender s belongs to thread s mod threads, which sends its senders' nonces in turn. */
    private void load(int worker, int threads, List<String> urls, List<NodeKey> senders, Address token, Map<Address, BigInteger> balances)
            throws IOException, InterruptedException {
        for (int nonce = 0; nonce < rounds; nonce++) {
            for (int s = worker; s < SENDERS; s += threads) {
                NodeKey from = senders.get(s);
                byte[] raw;
                if (nonce % 5 == 4) {
                    Address to = lastTwenty(Keccak.hash(("fresh-" + s + "-" + nonce).getBytes(StandardCharsets.US_ASCII)));
                    raw = signed(from, nonce, 21_000, to, BigInteger.ONE, new byte[0]);
                } else {
                    Address to = nonce % 2 == 0 ? senders.get((s + 1 + nonce) % SENDERS).address()
                            : lastTwenty(Keccak.hash(("holder-" + s + "-" + nonce).getBytes(StandardCharsets.US_ASCII)));
                    BigInteger amount = BigInteger.valueOf(1 + nonce);
                    raw = signed(from, nonce, 100_000, token, BigInteger.ZERO, TokenCode.transfer(to, amount));
                    balances.merge(from.address(), amount.negate(), BigInteger::add);
                    balances.merge(to, amount, BigInteger::add);
                }
                String url = urls.get((s + nonce) % urls.size());
                // A full pool is backpressure, as a wallet sees it: offer the same transaction again a little later.
                while (true) {
                    JsonNode answer = rpc(url, "eth_sendRawTransaction", Hex.encode(raw));
                    if (answer.has("result")) break;
                    String message = answer.path("error").path("message").asText();
                    if (!message.contains("full") && !message.contains("too many")) {
                        throw new IllegalStateException("transaction " + nonce + " of sender " + s + " refused: " + message);
                    }
                    Thread.sleep(100);
                }
            }
        }
    }

    /** A wallet's reads alongside the load, until it ends. */
    private void reads(List<String> urls, Address token, List<NodeKey> senders, AtomicBoolean done) {
        int i = 0;
        while (!done.get()) {
            try {
                String url = urls.get(i % urls.size());
                NodeKey s = senders.get(i % SENDERS);
                JsonNode block = rpc(url, "eth_getBlockByNumber", "latest", false).path("result");
                for (JsonNode h : block.path("transactions")) {
                    rpc(url, "eth_getTransactionReceipt", h.asText());
                    if (++i % 16 == 0) rpc(url, "eth_getTransactionByHash", h.asText());
                }
                rpc(url, "eth_blockNumber");
                rpc(url, "eth_chainId");
                rpc(url, "eth_gasPrice");
                rpc(url, "eth_getBalance", s.address().toString(), "latest");
                rpc(url, "eth_getTransactionCount", s.address().toString(), "pending");
                ObjectNode call = JSON.createObjectNode();
                call.put("from", s.address().toString());
                call.put("to", token.toString());
                call.put("data", Hex.encode(TokenCode.transfer(senders.get((i + 1) % SENDERS).address(), BigInteger.ONE)));
                rpc(url, "eth_call", call, "latest");
                rpc(url, "eth_estimateGas", call);
                ObjectNode filter = JSON.createObjectNode();
                filter.put("fromBlock", block.path("number").asText("latest"));
                filter.put("toBlock", "latest");
                filter.put("address", token.toString());
                rpc(url, "eth_getLogs", filter);
                i++;
                Thread.sleep(20);
            } catch (IOException | RuntimeException e) {
                // a read that fails under load is not the training's concern; the load and the final checks are
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Every member at the same head hash and with the token balances the load implies; returns the head. */
    private long verify(List<String> urls, Address token, Map<Address, BigInteger> balances) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + COMMIT_TIMEOUT.toNanos();
        long head = Long.MAX_VALUE;
        for (String url : urls) head = Math.min(head, quantity(rpc(url, "eth_blockNumber").path("result").asText()));
        String hash = null;
        for (String url : urls) {
            String h;
            while ((h = rpc(url, "eth_getBlockByNumber", "0x" + Long.toHexString(head), false).path("result").path("hash").asText("")).isEmpty()) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("member " + url + " has no block " + head);
                Thread.sleep(100);
            }
            if (hash != null && !hash.equals(h)) throw new IllegalStateException("members disagree on block " + head + ": " + hash + " and " + h);
            hash = h;
        }
        List<Address> holders = balances.keySet().stream().sorted(Comparator.naturalOrder()).limit(32).toList();
        for (String url : urls) {
            for (Address a : holders) {
                BigInteger stored = new BigInteger(1, Hex.decode(rpc(url, "eth_getStorageAt", token.toString(), Hex.encode(TokenCode.balanceSlot(a)), "latest")
                        .path("result").asText("0x0")));
                if (!stored.equals(balances.get(a))) {
                    throw new IllegalStateException("member " + url + " holds " + stored + " tokens for " + a + ", expected " + balances.get(a)
                           );
                }
            }
        }
        return head;
    }

    private void awaitNonce(List<String> urls, Address account, long nonce) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + COMMIT_TIMEOUT.toNanos();
        for (String url : urls) {
            while (quantity(rpc(url, "eth_getTransactionCount", account.toString(), "latest").path("result").asText("0x0")) < nonce) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("member " + url + " did not commit nonce " + (nonce - 1) + " of " + account + " within " + COMMIT_TIMEOUT);
                }
                Thread.sleep(50);
            }
        }
    }

    private static long quantity(String hex) {
        return new BigInteger(Hex.strip(hex), 16).longValueExact();
    }

    private void send(String url, byte[] raw) throws IOException, InterruptedException {
        JsonNode answer = rpc(url, "eth_sendRawTransaction", Hex.encode(raw));
        if (!answer.has("result")) throw new IllegalStateException("transaction refused: " + answer.path("error"));
    }

    private JsonNode rpc(String url, String method, Object... params) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.put("jsonrpc", "2.0");
        body.put("id", requests.incrementAndGet());
        body.put("method", method);
        ArrayNode p = body.putArray("params");
        for (Object o : params) {
            if (o instanceof JsonNode n) p.add(n);
            else if (o instanceof Boolean b) p.add(b);
            else p.add(String.valueOf(o));
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
        return JSON.readTree(http.send(request, HttpResponse.BodyHandlers.ofByteArray()).body());
    }

    /** A signed legacy (EIP-155) transaction; {@code to} null deploys {@code data}. */
    static byte[] signed(NodeKey key, long nonce, long gas, Address to, BigInteger value, byte[] data) {
        var toItem = Rlp.bytes(to == null ? new byte[0] : to.toArray());
        byte[] unsigned = Rlp.encode(Rlp.list(Rlp.uint(nonce), Rlp.uint(GAS_PRICE), Rlp.uint(gas), toItem, Rlp.uint(value), Rlp.bytes(data),
                Rlp.uint(EVM_CHAIN_ID), Rlp.uint(0), Rlp.uint(0)));
        Signature sig = key.sign(Keccak.hash(unsigned));
        return Rlp.encode(Rlp.list(Rlp.uint(nonce), Rlp.uint(GAS_PRICE), Rlp.uint(gas), toItem, Rlp.uint(value), Rlp.bytes(data),
                Rlp.uint(EVM_CHAIN_ID * 2 + 35 + sig.recId()), Rlp.uint(sig.r()), Rlp.uint(sig.s())));
    }

    private static Address lastTwenty(byte[] hash) {
        return Address.of(java.util.Arrays.copyOfRange(hash, 12, 32));
    }

    private String config(int i, List<NodeKey> nodeKeys, List<int[]> ports, List<Address> funded) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        Path home = Files.createDirectories(dir.resolve("member-" + i));
        c.put("bindIp", "127.0.0.1");
        c.put("chainId", MANAGER_CHAIN_ID);
        c.put("chainName", "training");
        ObjectNode consensus = c.putObject("consensus");
        consensus.put("blockTimeMs", 1000);
        consensus.put("engine", "bft");
        consensus.put("heartbeatMs", 30_000);
        c.put("dataDir", home.resolve("data").toString());
        c.put("evmChainId", EVM_CHAIN_ID);
        ObjectNode genesis = c.putObject("genesis");
        ObjectNode alloc = genesis.putObject("alloc");
        for (Address a : funded) alloc.put(a.toString(), ETHER.multiply(BigInteger.valueOf(1_000)).toString());
        genesis.put("gasLimit", 30_000_000);
        genesis.put("minGasPriceWei", "0");
        genesis.put("owner", funded.get(funded.size() - 1).toString());
        // Not read: the key is handed to the member directly.
        c.put("keyFile", home.resolve("node-key.json").toString());
        c.put("passwordFile", home.resolve("node-key.password").toString());
        ArrayNode members = c.putArray("members");
        for (int m = 0; m < MEMBERS; m++) {
            ObjectNode e = members.addObject();
            e.put("address", nodeKeys.get(m).address().toString());
            e.put("ip", "127.0.0.1");
            e.put("nodeId", m + 1);
            ports(e.putObject("ports"), ports.get(m));
        }
        c.put("nodeId", i + 1);
        ports(c.putObject("ports"), ports.get(i));
        c.put("slot", 0);
        return JSON.writeValueAsString(c);
    }

    private static void ports(ObjectNode p, int[] ports) {
        p.put("consensus", ports[0]);
        p.put("catchUp", ports[1]);
        p.put("rpcHttp", ports[2]);
        p.put("rpcWs", ports[3]);
        p.put("metrics", ports[4]);
    }

    private static int[] freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : sockets) s.close();
        }
    }

    /** Fixed keys: the same training chain every time. */
    private static List<BigInteger> secrets(String seed, int count) {
        List<BigInteger> secrets = new ArrayList<>();
        for (int i = 0; i < count; i++) secrets.add(new BigInteger(1, Keccak.hash((seed + i).getBytes(StandardCharsets.US_ASCII))));
        return secrets;
    }

    private static List<NodeKey> keys(String seed, int count) {
        return secrets(seed, count).stream().map(NodeKey::new).toList();
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * A minimal ERC-20 balance book in hand-written EVM code: {@code transfer(address,uint256)} moves tokens between
     * balances kept where Solidity keeps {@code mapping(address => uint256)} at slot 0, emits {@code Transfer} and
     * returns true; reverts when the sender has too few. The deployer starts with the whole supply.
     */
    static final class TokenCode {
        static final BigInteger INITIAL_SUPPLY = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

        private TokenCode() {}

        static byte[] runtime() {
            java.io.ByteArrayOutputStream c = new java.io.ByteArrayOutputStream();
            // balance[caller] -> stack: amount, slot(from), balance(from)
            emit(c, 0x60, 0x24, 0x35);                   // PUSH1 0x24 CALLDATALOAD            [amt]
            emit(c, 0x33, 0x60, 0x00, 0x52);             // CALLER PUSH1 0 MSTORE
            emit(c, 0x60, 0x40, 0x60, 0x00, 0x20);       // PUSH1 0x40 PUSH1 0 KECCAK256        [amt, sFrom]
            emit(c, 0x80, 0x54);                         // DUP1 SLOAD                          [amt, sFrom, bFrom]
            emit(c, 0x80, 0x83, 0x11);                   // DUP1 DUP4 GT                        [.., amt > bFrom]
            int jumpArg = c.size() + 1;
            emit(c, 0x60, 0x00, 0x57);                   // PUSH1 revert JUMPI (patched below)  [amt, sFrom, bFrom]
            emit(c, 0x82, 0x90, 0x03);                   // DUP3 SWAP1 SUB                      [amt, sFrom, bFrom - amt]
            emit(c, 0x90, 0x55);                         // SWAP1 SSTORE                        [amt]
            emit(c, 0x60, 0x04, 0x35);                   // PUSH1 4 CALLDATALOAD                [amt, to]
            emit(c, 0x80, 0x60, 0x00, 0x52);             // DUP1 PUSH1 0 MSTORE
            emit(c, 0x60, 0x40, 0x60, 0x00, 0x20);       // PUSH1 0x40 PUSH1 0 KECCAK256        [amt, to, sTo]
            emit(c, 0x80, 0x54, 0x83, 0x01);             // DUP1 SLOAD DUP4 ADD                 [amt, to, sTo, bTo + amt]
            emit(c, 0x90, 0x55);                         // SWAP1 SSTORE                        [amt, to]
            emit(c, 0x90, 0x60, 0x00, 0x52);             // SWAP1 PUSH1 0 MSTORE                [to]  memory[0] = amt
            emit(c, 0x33, 0x7f);                         // CALLER PUSH32 Transfer              [to, from, topic]
            c.writeBytes(TRANSFER_EVENT);
            emit(c, 0x60, 0x20, 0x60, 0x00, 0xa3);       // PUSH1 32 PUSH1 0 LOG3
            emit(c, 0x60, 0x01, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3); // return true
            int revert = c.size();
            emit(c, 0x5b, 0x60, 0x00, 0x80, 0xfd);       // JUMPDEST PUSH1 0 DUP1 REVERT
            byte[] code = c.toByteArray();
            code[jumpArg] = (byte) revert;
            return code;
        }

        /** Stores the supply at the deployer's balance, returns {@link #runtime()}. */
        static byte[] initCode() {
            byte[] runtime = runtime();
            java.io.ByteArrayOutputStream c = new java.io.ByteArrayOutputStream();
            emit(c, 0x33, 0x60, 0x00, 0x52, 0x60, 0x40, 0x60, 0x00, 0x20); // CALLER PUSH1 0 MSTORE PUSH1 0x40 PUSH1 0 KECCAK256
            c.write(0x6f);                                                  // PUSH16 supply
            c.writeBytes(java.util.Arrays.copyOfRange(INITIAL_SUPPLY.toByteArray(), 1, 17));
            emit(c, 0x90, 0x55);                                            // SWAP1 SSTORE
            int prefix = c.size() + 11;
            emit(c, 0x60, runtime.length, 0x80, 0x60, prefix, 0x60, 0x00, 0x39, 0x60, 0x00); // CODECOPY(0, prefix, len)
            c.write(0xf3);                                                  // RETURN(0, len)
            if (c.size() != prefix) throw new IllegalStateException("init code prefix is " + c.size() + ", not " + prefix);
            c.writeBytes(runtime);
            return c.toByteArray();
        }

        static byte[] transfer(Address to, BigInteger amount) {
            byte[] data = new byte[68];
            data[0] = (byte) 0xa9;
            data[1] = 0x05;
            data[2] = (byte) 0x9c;
            data[3] = (byte) 0xbb;
            System.arraycopy(to.toArray(), 0, data, 16, 20);
            byte[] a = amount.toByteArray();
            int n = Math.min(a.length, 32);
            System.arraycopy(a, a.length - n, data, 68 - n, n);
            return data;
        }

        /** Where Solidity keeps {@code balances[holder]} for a mapping at slot 0. */
        static byte[] balanceSlot(Address holder) {
            byte[] key = new byte[64];
            System.arraycopy(holder.toArray(), 0, key, 12, 20);
            return Keccak.hash(key);
        }

        private static void emit(java.io.ByteArrayOutputStream c, int... bytes) {
            for (int b : bytes) c.write(b);
        }
    }
}
