package io.flotilla.chain.node;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.consensus.bft.BftConfig;
import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.execution.TxSubmission;
import io.flotilla.chain.mempool.Mempool;
import io.flotilla.chain.mempool.MempoolConfig;
import io.flotilla.chain.p2p.NodeSigner;
import io.flotilla.chain.p2p.PeerLimits;
import io.flotilla.chain.p2p.SecureChannel;
import io.flotilla.chain.rpc.EthApi;
import io.flotilla.chain.rpc.JsonRpcServer;
import io.flotilla.chain.rpc.RpcConfig;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.evm.crypto.Secp256k1;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * A Byzantine member of four (real handshakes, on its own loopback address) asks every honest member for blocks
 * over and over and never reads the answers: the three honest members keep finalizing transfers within 5 s.
 */
class StalledReaderClusterTest {

    private static final long CHAIN_ID = 0x464C0000L + 2;
    private static final Credentials OWNER = Credentials.create("0x" + "22".repeat(32));
    private static final Genesis GENESIS = Genesis.of(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, BigInteger.ZERO),
            Address.fromHex(OWNER.getAddress()), BigInteger.TEN.pow(24));

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<ChainState> chains = new ArrayList<>();
    private final List<JsonRpcServer> rpcs = new ArrayList<>();
    private final List<BftReplica> replicas = new ArrayList<>();
    private volatile boolean attacking = true;
    private int nonce;

    @AfterEach
    void stop() throws Exception {
        attacking = false;
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    private static int freePort(String ip) throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(ip))) {
            return s.getLocalPort();
        }
    }

    @Test
    void aMemberThatRequestsBlocksAndNeverReadsCannotStallTheOthers() throws Exception {
        List<BigInteger> keys = new ArrayList<>();
        List<InetSocketAddress> endpoints = new ArrayList<>();
        List<BftReplica.Peer> peers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            BigInteger key = BigInteger.valueOf(6_007L * (i + 5));
            String ip = "127.0.0." + (80 + i);
            keys.add(key);
            endpoints.add(new InetSocketAddress(ip, freePort(ip)));
            peers.add(new BftReplica.Peer(Secp256k1.addressOf(key), endpoints.get(i)));
        }
        for (int i = 0; i < 3; i++) {
            ChainStore store = ChainStore.open(dir.resolve("member-" + i));
            open.add(store);
            ChainState chain = ChainState.open(store, GENESIS);
            Mempool mempool = new Mempool(MempoolConfig.DEFAULT);
            TxSubmission submission = new TxSubmission(chain, mempool);
            JsonRpcServer rpc = new JsonRpcServer(new RpcConfig(endpoints.get(i).getHostString(), 0, 5 << 20, 100, 2),
                    new EthApi(chain, mempool, submission, "test").methods()).start();
            open.add(rpc::close);
            BftReplica bft = new BftReplica(CHAIN_ID, keys.get(i), chain, mempool, submission, endpoints.get(i), peers, Duration.ofMillis(100),
                    Duration.ofSeconds(60), BftConfig.withTimeouts(Duration.ofMillis(800), Duration.ofMillis(400)), Clock.systemUTC());
            bft.start();
            open.add(bft);
            chains.add(chain);
            rpcs.add(rpc);
            replicas.add(bft);
        }
        // Big blocks first (about 3 MB), so that every answer to the attacker is large.
        for (int batch = 0; batch < 3; batch++) awaitFinalized(send(rpcs.get(batch), 10, 100_000), Duration.ofSeconds(60)); // 2 MiB per sender

        // Member 3 completes real handshakes with the others, then asks for everything every 20 ms and never reads.
        NodeSigner attacker = new NodeSigner(keys.get(3));
        for (int i = 0; i < 3; i++) {
            InetSocketAddress target = endpoints.get(i);
            Address targetAddress = peers.get(i).address();
            Thread t = Thread.ofVirtual().start(() -> attack(attacker, target, targetAddress));
            open.add(t::interrupt);
        }
        Thread.sleep(1_000);
        long worst = 0;
        for (int batch = 0; batch < 6; batch++) {
            long t0 = System.nanoTime();
            awaitFinalized(send(rpcs.get(batch % 3), 3, 0), Duration.ofSeconds(5));
            worst = Math.max(worst, System.nanoTime() - t0);
            Thread.sleep(1_000);
        }
        long dropped = replicas.stream().mapToLong(r -> r.network().slowPeersDropped()).sum();
        System.out.printf("stalled reader: slowest batch of 3 transfers finalized on 3 members in %d ms; attacker links dropped %d times%n",
                worst / 1_000_000, dropped);
        assertTrue(dropped > 0, "the attacker's links were cut for not reading");
    }

    private void attack(NodeSigner self, InetSocketAddress target, Address targetAddress) {
        byte[] request = new byte[1 + BlockSync.encodeRange(1, 1_000_000).length];
        request[0] = 3; // GET_BLOCKS
        System.arraycopy(BlockSync.encodeRange(1, 1_000_000), 0, request, 1, request.length - 1);
        while (attacking) {
            try {
                Socket s = new Socket();
                s.setReceiveBufferSize(4_096);
                s.bind(new InetSocketAddress("127.0.0.83", 0));
                s.connect(target, 2_000);
                SecureChannel c = SecureChannel.initiate(s, self, CHAIN_ID, targetAddress, PeerLimits.defaults(), new SecureRandom());
                c.startWriter(() -> { });
                while (attacking && !c.isClosed() && c.enqueue(request)) {
                    Thread.sleep(20);
                    if (s.isClosed()) break;
                }
                c.close();
            } catch (Exception e) {
                // refused or reset: try again
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private List<String> send(JsonRpcServer via, int count, int dataBytes) throws Exception {
        Web3j web3 = Web3j.build(new HttpService(via.url()));
        Random random = new Random(nonce);
        List<String> hashes = new ArrayList<>();
        try {
            for (int k = 0; k < count; k++) {
                int n = nonce++;
                byte[] data = new byte[dataBytes];
                random.nextBytes(data);
                RawTransaction tx = RawTransaction.createTransaction(BigInteger.valueOf(n), BigInteger.ONE,
                        BigInteger.valueOf(21_000 + 16L * dataBytes), String.format("0x%040x", 0x1000 + n), BigInteger.valueOf(1_000 + n),
                        Numeric.toHexString(data));
                var sent = web3.ethSendRawTransaction(Numeric.toHexString(TransactionEncoder.signMessage(tx, CHAIN_ID, OWNER))).send();
                assertFalse(sent.hasError(), () -> sent.getError().getMessage());
                hashes.add(sent.getTransactionHash());
            }
        } finally {
            web3.shutdown();
        }
        return hashes;
    }

    private void awaitFinalized(List<String> hashes, Duration limit) throws InterruptedException {
        await(hashes.size() + " transactions on every honest member", limit, () -> chains.stream().allMatch(c ->
                hashes.stream().allMatch(h -> c.txLocation(Numeric.hexStringToByteArray(h)).isPresent())));
    }

    private void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < replicas.size(); i++) {
                    b.append("\n  member ").append(i).append(" head ").append(chains.get(i).head().number()).append(" status ")
                            .append(replicas.get(i).status()).append(" peers ").append(replicas.get(i).network().connectedPeers().size());
                }
                throw new AssertionError("timed out waiting for " + what + b);
            }
            Thread.sleep(20);
        }
    }
}
