package io.flotilla.chain.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TxGossipTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final List<byte[]> sent = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    private static byte[] tx(int length, int fill) {
        byte[] b = new byte[length];
        java.util.Arrays.fill(b, (byte) fill);
        return b;
    }

    @Test
    void transactionsWithinTheDelayTravelInOneBatchInOrder() throws Exception {
        TxGossip gossip = new TxGossip(sent::add, timer, 50, 1 << 20);
        for (int i = 0; i < 10; i++) gossip.add(tx(100 + i, i));
        assertTrue(sent.isEmpty(), "nothing is sent before the delay");
        timer.schedule(() -> {}, 200, TimeUnit.MILLISECONDS).get();
        assertEquals(1, sent.size());
        List<byte[]> txs = TxGossip.decode(sent.get(0));
        assertEquals(10, txs.size());
        for (int i = 0; i < 10; i++) assertArrayEquals(tx(100 + i, i), txs.get(i));
    }

    @Test
    void aFullBatchIsSentAtOnceOnTheCallersThread() {
        TxGossip gossip = new TxGossip(sent::add, timer, 60_000, 1_000);
        for (int i = 0; i < 5; i++) gossip.add(tx(300, i)); // 304 bytes each on the wire: the 4th reaches 1,000
        assertEquals(1, sent.size());
        assertEquals(4, TxGossip.decode(sent.get(0)).size());
        gossip.flush();
        assertEquals(2, sent.size());
        assertEquals(1, TxGossip.decode(sent.get(1)).size());
    }

    @Test
    void aTransactionLargerThanABatchTravelsAlone() {
        TxGossip gossip = new TxGossip(sent::add, timer, 60_000, 1_000);
        gossip.add(tx(5_000, 7));
        assertEquals(1, sent.size());
        assertArrayEquals(tx(5_000, 7), TxGossip.decode(sent.get(0)).get(0));
    }

    @Test
    void malformedBatchesAreRefusedWithTheReason() {
        assertThrows(IllegalArgumentException.class, () -> TxGossip.decode(new byte[] {0, 0, 0}), "truncated length");
        assertThrows(IllegalArgumentException.class, () -> TxGossip.decode(new byte[] {0, 0, 0, 0}), "zero length");
        assertThrows(IllegalArgumentException.class, () -> TxGossip.decode(new byte[] {(byte) 0xff, 0, 0, 1, 9}), "negative length");
        assertThrows(IllegalArgumentException.class, () -> TxGossip.decode(new byte[] {0, 0, 0, 9, 1, 2}), "runs past the end");
        ByteBuffer many = ByteBuffer.allocate((TxGossip.MAX_BATCH_COUNT + 1) * 5);
        for (int i = 0; i <= TxGossip.MAX_BATCH_COUNT; i++) many.putInt(1).put((byte) 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TxGossip.decode(many.array()));
        assertTrue(e.getMessage().contains("more than"), e.getMessage());
        assertEquals(List.of(), TxGossip.decode(new byte[0]));
    }

    @Test
    void encodeAndDecodeRoundTrip() {
        List<byte[]> txs = new ArrayList<>();
        for (int i = 1; i <= 50; i++) txs.add(tx(i * 13, i));
        List<byte[]> back = TxGossip.decode(TxGossip.encode(txs));
        assertEquals(txs.size(), back.size());
        for (int i = 0; i < txs.size(); i++) assertArrayEquals(txs.get(i), back.get(i));
    }
}
