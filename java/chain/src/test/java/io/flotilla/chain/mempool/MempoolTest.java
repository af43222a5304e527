package io.flotilla.chain.mempool;

import static io.flotilla.chain.tx.TestTxs.ALICE;
import static io.flotilla.chain.tx.TestTxs.BOB;
import static io.flotilla.chain.tx.TestTxs.CHAIN_ID;
import static io.flotilla.chain.tx.TestTxs.GWEI;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.chain.tx.TxDecoder;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.web3j.crypto.Credentials;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MempoolTest {
    private final TxDecoder decoder = new TxDecoder(CHAIN_ID, true);
    private final Address alice = TestTxs.address(ALICE);
    private static final BigInteger RICH = BigInteger.TEN.pow(30);

    private SignedTransaction tx(long nonce, BigInteger price) throws Exception {
        return decoder.decode(TestTxs.legacy(ALICE, CHAIN_ID, nonce, price, 21_000, BOB.getAddress(), BigInteger.ONE, ""));
    }

    private static AddResult.Reason rejection(AddResult r) {
        return assertInstanceOf(AddResult.Rejected.class, r).reason();
    }

    @Test
    void readyTransactionsAreTheGapFreeRunFromTheAccountNonce() throws Exception {
        Mempool pool = new Mempool(MempoolConfig.DEFAULT);
        pool.add(tx(2, GWEI), 0, RICH);
        pool.add(tx(0, GWEI), 0, RICH);
        pool.add(tx(4, GWEI), 0, RICH);

        assertEquals(List.of(0L), pool.ready(a -> 0).get(alice).stream().map(SignedTransaction::nonce).toList());
        assertEquals(1, pool.pendingNonce(alice, 0), "nonce 1 is missing, so the next one to send is 1");

        pool.add(tx(1, GWEI), 0, RICH);
        assertEquals(List.of(0L, 1L, 2L), pool.ready(a -> 0).get(alice).stream().map(SignedTransaction::nonce).toList());
        assertEquals(3, pool.pendingNonce(alice, 0));
        assertEquals(7, pool.pendingNonce(Address.of(new byte[20]), 7), "unknown senders: the account nonce");
    }

    @Test
    void sameNonceReplacesOnlyWithAtLeastTenPercentHigherFees() throws Exception {
        Mempool pool = new Mempool(MempoolConfig.DEFAULT);
        SignedTransaction first = tx(0, BigInteger.valueOf(100));
        pool.add(first, 0, RICH);

        assertEquals(AddResult.Reason.ALREADY_KNOWN, rejection(pool.add(first, 0, RICH)));
        assertEquals(AddResult.Reason.REPLACEMENT_UNDERPRICED, rejection(pool.add(tx(0, BigInteger.valueOf(109)), 0, RICH)));
        SignedTransaction bumped = tx(0, BigInteger.valueOf(110));
        AddResult.Replaced r = assertInstanceOf(AddResult.Replaced.class, pool.add(bumped, 0, RICH));
        assertEquals(first.hashHex(), r.previous().hashHex());
        assertTrue(pool.get(first.hashHex()).isEmpty());
        assertEquals(bumped.hashHex(), pool.get(bumped.hashHex()).orElseThrow().hashHex());
        assertEquals(1, pool.size());
    }

    @Test
    void staleNoncesAndLimitsAreRefused() throws Exception {
        Mempool pool = new Mempool(new MempoolConfig(3, 2, 10));
        assertEquals(AddResult.Reason.NONCE_TOO_LOW, rejection(pool.add(tx(0, GWEI), 1, RICH)));
        pool.add(tx(1, GWEI), 1, RICH);
        pool.add(tx(2, GWEI), 1, RICH);
        assertEquals(AddResult.Reason.SENDER_LIMIT, rejection(pool.add(tx(3, GWEI), 1, RICH)));

        SignedTransaction fromBob = decoder.decode(TestTxs.transfer(BOB, 0, ALICE.getAddress(), BigInteger.ONE));
        pool.add(fromBob, 0, RICH);
        SignedTransaction another = decoder.decode(TestTxs.transfer(TestTxs.OWNER, 0, ALICE.getAddress(), BigInteger.ONE));
        assertEquals(AddResult.Reason.POOL_FULL, rejection(pool.add(another, 0, RICH)));
    }

    @Test
    void pruningDropsWhatTheChainHasPassed() throws Exception {
        Mempool pool = new Mempool(MempoolConfig.DEFAULT);
        pool.add(tx(0, GWEI), 0, RICH);
        pool.add(tx(1, GWEI), 0, RICH);
        pool.add(tx(2, GWEI), 0, RICH);
        pool.prune(Set.of(alice), a -> 2);
        assertEquals(1, pool.size());
        assertEquals(List.of(2L), pool.ready(a -> 2).get(alice).stream().map(SignedTransaction::nonce).toList());
    }

    @Test
    void theSendersNextNonceStaysRightThroughAddsRemovalsAndPruning() throws Exception {
        SignedTransaction[] byNonce = new SignedTransaction[48];
        for (int n = 0; n < byNonce.length; n++) byNonce[n] = tx(n, GWEI);
        Mempool pool = new Mempool(MempoolConfig.DEFAULT);
        java.util.Random rnd = new java.util.Random(5);
        long chainNonce = 0;
        for (int step = 0; step < 3_000; step++) {
            int op = rnd.nextInt(10);
            if (op < 6) {
                long n = chainNonce + rnd.nextInt(10);
                if (n < byNonce.length) pool.add(byNonce[(int) n], chainNonce, RICH);
            } else if (op < 9) {
                List<SignedTransaction> pooled = pool.all().getOrDefault(alice, List.of());
                if (!pooled.isEmpty()) pool.remove(pooled.get(rnd.nextInt(pooled.size())));
            } else if (chainNonce < byNonce.length - 10) {
                chainNonce += rnd.nextInt(3);
                long passed = chainNonce;
                pool.prune(Set.of(alice), a -> passed);
            }
            java.util.Set<Long> nonces = new java.util.HashSet<>();
            pool.all().getOrDefault(alice, List.of()).forEach(t -> nonces.add(t.nonce()));
            long expected = chainNonce;
            while (nonces.contains(expected)) expected++;
            assertEquals(expected, pool.pendingNonce(alice, chainNonce), "step " + step);
        }
    }

    private SignedTransaction from(Credentials who, long nonce, BigInteger price) throws Exception {
        return decoder.decode(TestTxs.legacy(who, CHAIN_ID, nonce, price, 21_000, BOB.getAddress(), BigInteger.ONE, ""));
    }

    private SignedTransaction sized(Credentials who, long nonce, int dataBytes) throws Exception {
        String data = "0x" + "ab".repeat(dataBytes);
        return decoder.decode(TestTxs.legacy(who, CHAIN_ID, nonce, GWEI, 21_000 + 16L * dataBytes, BOB.getAddress(), BigInteger.ONE, data));
    }

    private static Credentials someone(int i) {
        return Credentials.create(BigInteger.valueOf(1_000_003L + i).toString(16));
    }

    @Test
    void aBatchOfConsecutiveNoncesIsAcceptedButANonceFarBeyondAGapIsNot() throws Exception {
        Mempool pool = new Mempool(MempoolConfig.DEFAULT);
        for (long n = 0; n < 200; n++) assertInstanceOf(AddResult.Added.class, pool.add(tx(n, GWEI), 0, RICH), "nonce " + n);
        assertInstanceOf(AddResult.Added.class, pool.add(tx(200 + 64, GWEI), 0, RICH), "64 ahead of the next nonce 200");
        AddResult.Rejected far = assertInstanceOf(AddResult.Rejected.class, pool.add(tx(200 + 65, GWEI), 0, RICH));
        assertEquals(AddResult.Reason.NONCE_TOO_HIGH, far.reason());
        assertEquals("nonce too high: 265 is more than 64 ahead of the sender's next nonce 200", far.message());
        assertEquals(201, pool.size());
    }

    @Test
    void theBalanceMustCoverAllOfTheSendersPendingTransactionsTogether() throws Exception {
        Mempool pool = new Mempool(MempoolConfig.DEFAULT);
        SignedTransaction first = tx(0, GWEI);
        BigInteger twoOfThem = first.maxCost().multiply(BigInteger.TWO);
        pool.add(first, 0, twoOfThem);
        pool.add(tx(1, GWEI), 0, twoOfThem);
        AddResult.Rejected third = assertInstanceOf(AddResult.Rejected.class, pool.add(tx(2, GWEI), 0, twoOfThem));
        assertEquals(AddResult.Reason.INSUFFICIENT_FUNDS, third.reason());
        assertEquals("insufficient funds for gas * price + value (together with the sender's 2 pending transactions)", third.message());
        assertEquals(2, pool.size(), "a refused transaction changes nothing");
        // A replacement counts instead of the transaction it replaces, not on top of it.
        SignedTransaction dearer = tx(1, GWEI.multiply(BigInteger.TWO));
        assertEquals(AddResult.Reason.INSUFFICIENT_FUNDS, rejection(pool.add(dearer, 0, twoOfThem)));
        assertInstanceOf(AddResult.Replaced.class, pool.add(dearer, 0, first.maxCost().add(dearer.maxCost())));
    }

    @Test
    void aFullPoolDropsTransactionsBehindANonceGapFirstThenTheCheapest() throws Exception {
        Mempool pool = new Mempool(new MempoolConfig(3, 1024, 10));
        SignedTransaction gapped = from(someone(1), 5, GWEI.multiply(BigInteger.TEN)); // pays well but can never run
        SignedTransaction cheap = from(someone(2), 0, GWEI);
        SignedTransaction dear = from(someone(3), 0, GWEI.multiply(BigInteger.valueOf(5)));
        pool.add(gapped, 0, RICH);
        pool.add(cheap, 0, RICH);
        pool.add(dear, 0, RICH);

        AddResult.Added a = assertInstanceOf(AddResult.Added.class, pool.add(from(someone(4), 0, GWEI.multiply(BigInteger.TWO)), 0, RICH));
        assertEquals(List.of(gapped.hashHex()), a.evicted().stream().map(SignedTransaction::hashHex).toList());
        AddResult.Added b = assertInstanceOf(AddResult.Added.class, pool.add(from(someone(5), 0, GWEI.multiply(BigInteger.TWO)), 0, RICH));
        assertEquals(List.of(cheap.hashHex()), b.evicted().stream().map(SignedTransaction::hashHex).toList());
        assertEquals(3, pool.size());

        AddResult.Rejected full = assertInstanceOf(AddResult.Rejected.class, pool.add(from(someone(6), 0, GWEI.multiply(BigInteger.TWO)), 0, RICH));
        assertEquals(AddResult.Reason.POOL_FULL, full.reason(), "paying no more than the cheapest pooled transaction displaces nobody");
        assertTrue(pool.get(dear.hashHex()).isPresent());
        assertEquals(3, pool.size());
    }

    @Test
    void bytesAreBoundedPerSenderAndInTotal() throws Exception {
        Mempool pool = new Mempool(new MempoolConfig(100, 100, 10, 40_000, 25_000, 64, Duration.ofMinutes(1)));
        Credentials a = someone(10);
        pool.add(sized(a, 0, 10_000), 0, RICH);
        pool.add(sized(a, 1, 10_000), 0, RICH);
        assertEquals(AddResult.Reason.SENDER_LIMIT, rejection(pool.add(sized(a, 2, 10_000), 0, RICH)), "over 25,000 bytes for one sender");
        pool.add(sized(someone(11), 0, 10_000), 0, RICH);
        assertEquals(AddResult.Reason.POOL_FULL, rejection(pool.add(sized(someone(12), 0, 10_000), 0, RICH)), "over 40,000 bytes in all");
        assertTrue(pool.bytes() <= 40_000);
        assertEquals(3, pool.size());
    }

    @Test
    void transactionsStuckBehindANonceGapAreDroppedAfterTheConfiguredTime() throws Exception {
        AtomicLong now = new AtomicLong(1_000_000);
        Mempool pool = new Mempool(new MempoolConfig(100, 100, 10, 1 << 20, 1 << 20, 64, Duration.ofSeconds(60)), GWEI, now::get);
        SignedTransaction ready = tx(0, GWEI);
        SignedTransaction stuck = tx(2, GWEI);
        pool.add(ready, 0, RICH);
        pool.add(stuck, 0, RICH);
        now.addAndGet(59_000);
        assertEquals(List.of(), pool.dropStuck());
        now.addAndGet(2_000);
        assertEquals(List.of(stuck.hashHex()), pool.dropStuck().stream().map(SignedTransaction::hashHex).toList());
        assertTrue(pool.get(ready.hashHex()).isPresent(), "a ready transaction waits as long as it takes");
    }
}
