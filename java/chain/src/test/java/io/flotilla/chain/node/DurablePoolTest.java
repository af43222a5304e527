package io.flotilla.chain.node;

import static io.flotilla.chain.tx.TestTxs.ALICE;
import static io.flotilla.chain.tx.TestTxs.BOB;
import static io.flotilla.chain.tx.TestTxs.GWEI;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.execution.TxSubmission;
import io.flotilla.chain.mempool.Mempool;
import io.flotilla.chain.mempool.MempoolConfig;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.chain.tx.TestTxs;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pool kept in the chain store (RocksDB): what a client sent is written before its hash is returned and survives
 * a stop that writes nothing more (a killed process); peers' transactions and removals are written in batches; a
 * restart re-validates every kept transaction against the current state and forgets the refused ones.
 */
class DurablePoolTest {
    private static final long CHAIN_ID = TestTxs.CHAIN_ID;
    private static final Genesis GENESIS = Genesis.of(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, BigInteger.ZERO),
            TestTxs.address(ALICE), BigInteger.TEN.pow(24));

    @TempDir
    Path dir;

    private ChainStore store;
    private Mempool mempool;
    private TxSubmission submission;
    private DurablePool pool;

    private DurablePool.Reloaded open() {
        store = ChainStore.open(dir.resolve("chain"));
        ChainState chain = ChainState.open(store, GENESIS);
        mempool = new Mempool(MempoolConfig.DEFAULT);
        submission = new TxSubmission(chain, mempool);
        pool = new DurablePool(store, chain.decoder(), mempool, submission);
        return pool.reload();
    }

    @AfterEach
    void close() {
        if (pool != null) pool.close();
        if (store != null) store.close();
    }

    private static byte[] transfer(long nonce) {
        return TestTxs.legacy(ALICE, CHAIN_ID, nonce, GWEI, 21_000, BOB.getAddress(), BigInteger.ONE, "");
    }

    private boolean kept(SignedTransaction tx) {
        return store.pooled().keySet().stream().anyMatch(k -> Arrays.equals(k, tx.hash()));
    }

    @Test
    void aClientsTransactionIsKeptBeforeItsHashIsReturnedAndSurvivesAKill() throws Exception {
        open();
        List<String> hashes = new ArrayList<>();
        for (int n = 0; n < 3; n++) hashes.add(submission.submit(transfer(n)).hashHex());
        pool.abandon(); // killed: the batch writer never runs again
        store.close();
        pool = null;

        DurablePool.Reloaded reloaded = open();
        assertEquals(new DurablePool.Reloaded(3, 3, Map.of()), reloaded);
        for (String h : hashes) assertTrue(mempool.get(h).isPresent(), h);
    }

    @Test
    void peersTransactionsAndRemovalsAreWrittenInBatches() throws Exception {
        open();
        SignedTransaction fromPeer = submission.submit(transfer(0), false);
        pool.flush();
        assertTrue(kept(fromPeer));

        // Replaced by a transaction paying more: the old one leaves the store at the next batch.
        SignedTransaction replacement = submission.submit(
                TestTxs.legacy(ALICE, CHAIN_ID, 0, GWEI.multiply(BigInteger.TWO), 21_000, BOB.getAddress(), BigInteger.ONE, ""), false);
        pool.flush();
        assertFalse(kept(fromPeer), "the replaced transaction is forgotten");
        assertTrue(kept(replacement));

        mempool.remove(replacement); // e.g. refused by the EVM while building a block
        pool.flush();
        assertTrue(store.pooled().isEmpty());
    }

    @Test
    void aRestartForgetsWhatTheCurrentStateRefusesAndNamesWhy() throws Exception {
        open();
        SignedTransaction ok = submission.submit(transfer(0));
        // Kept earlier, now refused: a transfer from an account with no funds, and bytes that are no transaction.
        byte[] unfunded = TestTxs.legacy(BOB, CHAIN_ID, 0, GWEI, 21_000, ALICE.getAddress(), BigInteger.ONE, "");
        store.putPooled(new byte[32], unfunded);
        byte[] junkKey = new byte[32];
        junkKey[0] = 1;
        store.putPooled(junkKey, new byte[] {1, 2, 3});
        pool.close();
        store.close();
        pool = null;

        DurablePool.Reloaded reloaded = open();
        assertEquals(3, reloaded.kept());
        assertEquals(1, reloaded.pooled());
        assertEquals(Map.of("insufficient funds for gas * price + value", 1, "undecodable", 1), reloaded.dropped());
        assertEquals(1, store.pooled().size(), "the refused ones are forgotten");
        assertTrue(kept(ok));
    }
}
