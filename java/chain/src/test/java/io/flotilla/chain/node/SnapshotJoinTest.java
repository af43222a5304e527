package io.flotilla.chain.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.consensus.bft.BftConfig;
import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.execution.TxSubmission;
import io.flotilla.chain.mempool.Mempool;
import io.flotilla.chain.mempool.MempoolConfig;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.evm.crypto.Secp256k1;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.net.InetAddress;
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

/**
 * A member joins a running chain whose early blocks no member serves any more, over real sockets on loopback
 * (127.0.0.150+i), each member with its own RocksDB: it cannot replay from genesis, so it fetches the state of a
 * recent certified snapshot from the others, then the blocks after it, and votes: with one of the others stopped, the
 * chain goes on only because the new member's votes count.
 */
class SnapshotJoinTest {

    private static final long CHAIN_ID = 0x464C0000L + 150;
    private static final Credentials OWNER = Credentials.create("0x" + "51".repeat(32));
    private static final Genesis GENESIS = Genesis.of(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, BigInteger.ZERO),
            Address.fromHex(OWNER.getAddress()), BigInteger.TEN.pow(24));
    /** Snapshots every 16 blocks, the last 2 kept; a member 32 or more blocks behind uses them. */
    private static final BftReplica.SnapshotOptions SNAPSHOTS = new BftReplica.SnapshotOptions(16, 2, 32, 8L << 20, 16L << 20);

    @TempDir
    Path dir;

    private record Member(int index, BigInteger key, Address address, InetSocketAddress endpoint) {}

    private final List<Member> members = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();

    private final class Node implements AutoCloseable {
        final Member member;
        ChainStore store;
        ChainState chain;
        TxSubmission submission;
        BftReplica bft;

        Node(Member member) {
            this.member = member;
        }

        Node start() throws Exception {
            store = ChainStore.open(dir.resolve("member-" + member.index()));
            chain = ChainState.open(store, GENESIS);
            Mempool mempool = new Mempool(MempoolConfig.DEFAULT);
            submission = new TxSubmission(chain, mempool);
            List<BftReplica.Peer> peers = members.stream().map(m -> new BftReplica.Peer(m.address(), m.endpoint())).toList();
            ChainState c = chain;
            bft = new BftReplica(CHAIN_ID, member.key(), chain, mempool, submission, member.endpoint(), peers,
                    Duration.ofMillis(20), Duration.ofMillis(30), BftConfig.withTimeouts(Duration.ofMillis(800), Duration.ofMillis(400)),
                    Clock.systemUTC(), c::saveRecord, SNAPSHOTS);
            bft.start();
            return this;
        }

        long head() {
            return chain.head().number();
        }

        @Override
        public void close() {
            if (bft != null) bft.close();
            if (store != null) store.close();
            bft = null;
            store = null;
        }
    }

    @AfterEach
    void stop() {
        nodes.forEach(Node::close);
    }

    private static int freePort(String ip) throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(ip))) {
            return s.getLocalPort();
        }
    }

    private static void await(String what, long timeoutMs, BooleanSupplier ok) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!ok.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(50);
        }
    }

    @Test
    void aMemberJoiningAChainWhoseEarlyBlocksNobodyServesSyncsBySnapshotThenFinalizesWithTheOthers() throws Exception {
        for (int i = 0; i < 4; i++) {
            BigInteger key = BigInteger.valueOf(15_485_867L * (i + 5));
            String ip = "127.0.0." + (150 + i);
            members.add(new Member(i, key, Secp256k1.addressOf(key), new InetSocketAddress(ip, freePort(ip))));
            nodes.add(new Node(members.get(i)));
        }
        Node a = nodes.get(0);
        Node b = nodes.get(1);
        Node joiner = nodes.get(2);
        Node d = nodes.get(3);
        for (Node n : List.of(a, b, d)) n.start(); // 3 of 4: a quorum

        // Some state beyond the genesis: transfers to new accounts.
        await("the chain to start", 30_000, () -> a.head() >= 3);
        List<Address> paid = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Address to = Secp256k1.addressOf(BigInteger.valueOf(777_000 + i));
            paid.add(to);
            a.submission.submit(TestTxs.legacy(OWNER, CHAIN_ID, i, BigInteger.TEN.pow(9), 21_000, to.toString(), BigInteger.valueOf(1_000 + i), "0x"));
        }
        await("300 blocks", 180_000, () -> a.head() >= 300 && b.head() >= 300 && d.head() >= 300);
        for (Node n : List.of(a, b, d)) {
            assertTrue(n.bft.snapshotHeights().size() == 2, "each member keeps its last two snapshots: " + n.bft.snapshotHeights());
            n.bft.serveBlocksFrom(20); // blocks 1..19 are no longer served by anybody
        }
        assertEquals(Word.of(1_000), a.chain.account(paid.getFirst()).balance());

        joiner.start();
        await("the joiner to install a snapshot and catch up", 120_000,
                () -> joiner.bft.snapshotInstalledAt() > 0 && joiner.head() >= a.head() - 2);
        long installed = joiner.bft.snapshotInstalledAt();
        assertTrue(installed >= 288 && installed % 16 == 0, "a recent snapshot height: " + installed);
        assertTrue(joiner.chain.block(10).isEmpty(), "the early blocks were never replayed");
        assertTrue(joiner.chain.block(installed - 256).isPresent(), "the 256 blocks below the snapshot are kept (BLOCKHASH)");
        for (int i = 0; i < paid.size(); i++) {
            assertEquals(Word.of(1_000 + i), joiner.chain.account(paid.get(i)).balance(), "state from the snapshot");
        }

        // With d stopped, a, b and the joiner are the only quorum: the chain goes on only if the joiner votes.
        d.close();
        long before = a.head();
        await("the chain to go on with the joiner's votes", 60_000, () -> a.head() >= before + 20 && joiner.head() >= before + 20);
        long common = Math.min(a.head(), joiner.head());
        assertArrayEquals(a.chain.header(common).orElseThrow().hash(), joiner.chain.header(common).orElseThrow().hash());
        assertArrayEquals(a.chain.header(common).orElseThrow().stateRoot(), joiner.chain.header(common).orElseThrow().stateRoot());
        assertTrue(a.bft.snapshotServing()[0] > 0, "the others served the snapshot");
    }
}
