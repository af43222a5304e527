package io.flotilla.chain.node;

import static io.flotilla.chain.tx.TestTxs.ALICE;
import static io.flotilla.chain.tx.TestTxs.BOB;
import static io.flotilla.chain.tx.TestTxs.GWEI;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.chain.tx.TxDecoder;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Sending the pool to a member whose link opens is bounded whatever that member does: one pool per member per
 * cooldown however often it reconnects, and a send stops at the first message the link refuses.
 */
class PoolGossipTest {
    private static final Address PEER = Address.fromHex("0x00000000000000000000000000000000000000aa");
    private static final Address OTHER = Address.fromHex("0x00000000000000000000000000000000000000bb");

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final List<String> sent = new ArrayList<>();

    private static List<SignedTransaction> pool(int n) throws Exception {
        TxDecoder decoder = new TxDecoder(TestTxs.CHAIN_ID, true);
        List<SignedTransaction> txs = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            txs.add(decoder.decode(TestTxs.legacy(ALICE, TestTxs.CHAIN_ID, k, GWEI, 21_000, BOB.getAddress(), BigInteger.ONE, "")));
        }
        return txs;
    }

    @Test
    void aMemberReconnectingInALoopGetsOnePoolPerCooldown() throws Exception {
        List<SignedTransaction> txs = pool(3);
        PoolGossip gossip = new PoolGossip(() -> txs, (to, batch) -> sent.add(to + " " + batch.size()), now::get, Duration.ofSeconds(30),
                1 << 20, 256 << 10);
        assertTrue(gossip.claim(PEER));
        assertEquals(3, gossip.sendPool(PEER));
        for (int k = 0; k < 100; k++) {
            now.addAndGet(250);
            assertFalse(gossip.claim(PEER), "reconnection " + k + " within the cooldown");
        }
        assertEquals(100, gossip.skipped());
        assertTrue(gossip.claim(OTHER), "another member has its own cooldown");
        now.addAndGet(5_000); // 30 s after the first pool
        assertTrue(gossip.claim(PEER));
    }

    @Test
    void aPoolOfThousandsGoesInAFewBatchMessagesTheReceiverDecodes() throws Exception {
        List<SignedTransaction> txs = pool(2_500);
        List<List<SignedTransaction>> batches = new ArrayList<>();
        PoolGossip gossip = new PoolGossip(() -> txs, (to, batch) -> batches.add(batch), now::get, Duration.ofSeconds(30),
                64 << 20, PoolGossip.MAX_BATCH_BYTES);
        assertEquals(2_500, gossip.sendPool(PEER));
        assertEquals(3, batches.size(), "at most " + PoolGossip.MAX_BATCH_COUNT + " transactions per message");
        List<String> received = new ArrayList<>();
        for (List<SignedTransaction> batch : batches) {
            byte[] wire = TxGossip.encode(batch.stream().map(SignedTransaction::raw).toList());
            assertTrue(wire.length <= PoolGossip.MAX_BATCH_BYTES);
            for (byte[] raw : TxGossip.decode(wire)) {
                received.add(new TxDecoder(TestTxs.CHAIN_ID, true).decode(raw).hashHex());
            }
        }
        assertEquals(txs.stream().map(SignedTransaction::hashHex).toList(), received, "every transaction once, in pool order");
    }

    @Test
    void batchesCloseAtTheByteLimitAndASendStopsAtTheFirstBatchTheLinkRefusesPaced() throws Exception {
        List<SignedTransaction> txs = pool(20);
        int perTx = txs.stream().mapToInt(t -> t.raw().length).max().orElseThrow() + 4;
        List<Integer> taken = new ArrayList<>();
        // Four transactions fit a batch; the link takes two batches, then refuses.
        PoolGossip gossip = new PoolGossip(() -> txs, (to, batch) -> taken.size() < 2 && taken.add(batch.size()), now::get,
                Duration.ofSeconds(30), perTx * 100L, perTx * 4);
        long started = System.nanoTime();
        assertEquals(8, gossip.sendPool(PEER));
        assertEquals(List.of(4, 4), taken);
        assertTrue(System.nanoTime() - started >= 70_000_000L, "8 transactions' bytes at 100 per second take at least 80 ms");
        assertEquals(8, gossip.sent());
    }
}
