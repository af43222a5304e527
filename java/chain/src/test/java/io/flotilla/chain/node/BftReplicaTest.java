package io.flotilla.chain.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.evm.crypto.Secp256k1;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.RawTransactionManager;

/** Four members agree on every block over authenticated sockets on loopback; one may crash. */
class BftReplicaTest {

    private static final long CHAIN_ID = 0x464C0000L + 1;
    private static final Credentials OWNER = Credentials.create("0x" + "11".repeat(32));

    @TempDir
    Path dir;

    private record Replica(ChainStore store, ChainState chain, JsonRpcServer rpc, BftReplica bft) implements AutoCloseable {
        @Override
        public void close() {
            bft.close();
            rpc.close();
            store.close();
        }
    }

    private final List<Replica> replicas = new ArrayList<>();

    @AfterEach
    void stop() {
        replicas.forEach(Replica::close);
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private void startChain(int n) throws Exception {
        Genesis genesis = Genesis.of(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, BigInteger.ZERO),
                Address.fromHex(OWNER.getAddress()), BigInteger.TEN.pow(24));
        List<BigInteger> keys = new ArrayList<>();
        List<BftReplica.Peer> peers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BigInteger key = BigInteger.valueOf(7_919L * (i + 3));
            keys.add(key);
            peers.add(new BftReplica.Peer(Secp256k1.addressOf(key), new InetSocketAddress("127.0.0.1", freePort())));
        }
        for (int i = 0; i < n; i++) {
            ChainStore store = ChainStore.open(dir.resolve("replica-" + i));
            ChainState chain = ChainState.open(store, genesis);
            Mempool mempool = new Mempool(MempoolConfig.DEFAULT);
            TxSubmission submission = new TxSubmission(chain, mempool);
            JsonRpcServer rpc = new JsonRpcServer(RpcConfig.loopback(0), new EthApi(chain, mempool, submission, "test").methods()).start();
            BftReplica bft = new BftReplica(CHAIN_ID, keys.get(i), chain, mempool, submission, peers.get(i).consensusEndpoint(), peers,
                    Duration.ofMillis(100), Duration.ofSeconds(60), BftConfig.withTimeouts(Duration.ofMillis(800), Duration.ofMillis(400)),
                    Clock.systemUTC());
            bft.start();
            replicas.add(new Replica(store, chain, rpc, bft));
        }
    }

    private String describe() {
        StringBuilder b = new StringBuilder();
        for (Replica r : replicas) {
            b.append("\n  head ").append(r.chain().head().number()).append(" status ").append(r.bft().status())
                    .append(" peers ").append(r.bft().network().connectedPeers().size());
        }
        return b.toString();
    }

    private void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + describe());
            }
            Thread.sleep(50);
        }
    }

    private List<String> sendTransfers(Replica via, int count, int firstNonce) throws Exception {
        Web3j web3 = Web3j.build(new HttpService(via.rpc().url()));
        RawTransactionManager owner = new RawTransactionManager(web3, OWNER, CHAIN_ID);
        List<String> hashes = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            var tx = org.web3j.crypto.RawTransaction.createEtherTransaction(BigInteger.valueOf(firstNonce + k), BigInteger.ONE,
                    BigInteger.valueOf(21_000), "0x00000000000000000000000000000000000000" + String.format("%02x", k + 1), BigInteger.valueOf(1_000 + k));
            var sent = web3.ethSendRawTransaction(org.web3j.utils.Numeric.toHexString(
                    org.web3j.crypto.TransactionEncoder.signMessage(tx, CHAIN_ID, OWNER))).send();
            assertFalse(sent.hasError(), () -> sent.getError().getMessage());
            hashes.add(sent.getTransactionHash());
        }
        web3.shutdown();
        return hashes;
    }

    private void assertSameBlocks(List<Replica> live) {
        long common = live.stream().mapToLong(r -> r.chain().head().number()).min().orElseThrow();
        for (long h = 1; h <= common; h++) {
            byte[] first = live.get(0).chain().header(h).orElseThrow().hash();
            for (Replica r : live) {
                assertArrayEquals(first, r.chain().header(h).orElseThrow().hash(), "block " + h + " differs");
            }
        }
    }

    @Test
    void fourMembersCommitTheSameBlocksWithEveryTransaction() throws Exception {
        startChain(4);
        List<String> hashes = sendTransfers(replicas.get(1), 20, 0);
        await("all 20 transfers on every member", Duration.ofSeconds(60), () -> replicas.stream().allMatch(r ->
                hashes.stream().allMatch(h -> r.chain().txLocation(org.web3j.utils.Numeric.hexStringToByteArray(h)).isPresent())));
        assertSameBlocks(replicas);
        long head = replicas.get(0).chain().head().number();
        assertTrue(head >= 1);
        assertTrue(replicas.get(0).chain().block(head).orElseThrow().header() != null);
        for (Replica r : replicas) {
            assertEquals(BigInteger.valueOf(1_000 + 19), r.chain().account(Address.fromHex("0x0000000000000000000000000000000000000014")).balance().toBigInteger());
        }
    }

    @Test
    void theChainKeepsFinalizingWithOneOfFourMembersCrashed() throws Exception {
        startChain(4);
        Replica crashed = replicas.remove(3);
        crashed.close();
        List<String> hashes = sendTransfers(replicas.get(0), 10, 0);
        await("transfers finalized by the three live members", Duration.ofSeconds(90), () -> replicas.stream().allMatch(r ->
                hashes.stream().allMatch(h -> r.chain().txLocation(org.web3j.utils.Numeric.hexStringToByteArray(h)).isPresent())));
        assertSameBlocks(replicas);
    }
}
