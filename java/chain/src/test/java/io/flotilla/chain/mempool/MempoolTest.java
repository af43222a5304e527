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
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MempoolTest {
    private final TxDecoder decoder = new TxDecoder(CHAIN_ID, true);
    private final Address alice = TestTxs.address(ALICE);

    private SignedTransaction tx(long nonce, BigInteger price) throws Exception {
        return decoder.decode(TestTxs.legacy(ALICE, CHAIN_ID, nonce, price, 21_000, BOB.getAddress(), BigInteger.ONE, ""));
    }

    private static AddResult.Reason rejection(AddResult r) {
        return assertInstanceOf(AddResult.Rejected.class, r).reason();
    }

    @Test
    void readyTransactionsAreTheGapFreeRunFromTheAccountNonce() throws Exception {
        Mempool pool = new Mempool(MempoolConfig.DEFAULT);
        pool.add(tx(2, GWEI), 0);
        pool.add(tx(0, GWEI), 0);
        pool.add(tx(4, GWEI), 0);

        assertEquals(List.of(0L), pool.ready(a -> 0).get(alice).stream().map(SignedTransaction::nonce).toList());
        assertEquals(1, pool.pendingNonce(alice, 0), "nonce 1 is missing, so the next one to send is 1");

        pool.add(tx(1, GWEI), 0);
        assertEquals(List.of(0L, 1L, 2L), pool.ready(a -> 0).get(alice).stream().map(SignedTransaction::nonce).toList());
        assertEquals(3, pool.pendingNonce(alice, 0));
        assertEquals(7, pool.pendingNonce(Address.of(new byte[20]), 7), "unknown senders: the account nonce");
    }

    @Test
    void sameNonceReplacesOnlyWithAtLeastTenPercentHigherFees() throws Exception {
        Mempool pool = new Mempool(MempoolConfig.DEFAULT);
        SignedTransaction first = tx(0, BigInteger.valueOf(100));
        pool.add(first, 0);

        assertEquals(AddResult.Reason.ALREADY_KNOWN, rejection(pool.add(first, 0)));
        assertEquals(AddResult.Reason.REPLACEMENT_UNDERPRICED, rejection(pool.add(tx(0, BigInteger.valueOf(109)), 0)));
        SignedTransaction bumped = tx(0, BigInteger.valueOf(110));
        AddResult.Replaced r = assertInstanceOf(AddResult.Replaced.class, pool.add(bumped, 0));
        assertEquals(first.hashHex(), r.previous().hashHex());
        assertTrue(pool.get(first.hashHex()).isEmpty());
        assertEquals(bumped.hashHex(), pool.get(bumped.hashHex()).orElseThrow().hashHex());
        assertEquals(1, pool.size());
    }

    @Test
    void staleNoncesAndLimitsAreRefused() throws Exception {
        Mempool pool = new Mempool(new MempoolConfig(3, 2, 10));
        assertEquals(AddResult.Reason.NONCE_TOO_LOW, rejection(pool.add(tx(0, GWEI), 1)));
        pool.add(tx(1, GWEI), 1);
        pool.add(tx(2, GWEI), 1);
        assertEquals(AddResult.Reason.SENDER_LIMIT, rejection(pool.add(tx(3, GWEI), 1)));

        SignedTransaction fromBob = decoder.decode(TestTxs.transfer(BOB, 0, ALICE.getAddress(), BigInteger.ONE));
        pool.add(fromBob, 0);
        SignedTransaction another = decoder.decode(TestTxs.transfer(TestTxs.OWNER, 0, ALICE.getAddress(), BigInteger.ONE));
        assertEquals(AddResult.Reason.POOL_FULL, rejection(pool.add(another, 0)));
    }

    @Test
    void pruningDropsWhatTheChainHasPassed() throws Exception {
        Mempool pool = new Mempool(MempoolConfig.DEFAULT);
        pool.add(tx(0, GWEI), 0);
        pool.add(tx(1, GWEI), 0);
        pool.add(tx(2, GWEI), 0);
        pool.prune(Set.of(alice), a -> 2);
        assertEquals(1, pool.size());
        assertEquals(List.of(2L), pool.ready(a -> 2).get(alice).stream().map(SignedTransaction::nonce).toList());
    }
}
