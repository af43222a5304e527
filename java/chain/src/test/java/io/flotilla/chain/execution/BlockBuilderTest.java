package io.flotilla.chain.execution;

import static io.flotilla.chain.tx.TestTxs.ALICE;
import static io.flotilla.chain.tx.TestTxs.BOB;
import static io.flotilla.chain.tx.TestTxs.CHAIN_ID;
import static io.flotilla.chain.tx.TestTxs.ETHER;
import static io.flotilla.chain.tx.TestTxs.GWEI;
import static io.flotilla.chain.tx.TestTxs.OWNER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.mempool.AddResult;
import io.flotilla.chain.mempool.Mempool;
import io.flotilla.chain.mempool.MempoolConfig;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a proposer puts in a block: bounded by gas, by bytes and by execution time, never a transaction that fails. */
class BlockBuilderTest {
    private static final Address PROPOSER = Address.fromHex("0x00000000000000000000000000000000000000b0");

    @TempDir
    Path dir;

    private ChainState chain(ChainConfig config) {
        return ChainState.open(ChainStore.open(dir), Genesis.of(config, TestTxs.address(OWNER), ETHER.multiply(BigInteger.valueOf(1000))));
    }

    private static SignedTransaction withData(ChainState chain, long nonce, int bytes) throws Exception {
        String data = "0x" + "ab".repeat(bytes);
        return chain.decoder().decode(TestTxs.legacy(OWNER, CHAIN_ID, nonce, GWEI, 21_000 + 16L * bytes, BOB.getAddress(), BigInteger.ONE, data));
    }

    @Test
    void aBlockHoldsNoMoreBytesThanTheLimitAndTheRestWaitsForTheNext() throws Exception {
        // 80 KiB blocks leave 16 KiB for transactions: five of about 3 KiB.
        ChainConfig config = new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, GWEI, 4096, 80 * 1024, Duration.ofSeconds(1));
        ChainState chain = chain(config);
        TxSubmission submission = new TxSubmission(chain, new Mempool(MempoolConfig.DEFAULT, GWEI, System::currentTimeMillis));
        for (long n = 0; n < 10; n++) submission.submit(withData(chain, n, 3_000).raw());
        BlockBuilder builder = new BlockBuilder(chain, submission.mempool());

        ExecutedBlock first = builder.build(1, PROPOSER, new byte[0]);
        long body = first.block().transactions().stream().mapToLong(ChainConfig::bodyBytes).sum();
        assertEquals(5, first.block().transactions().size());
        assertTrue(body <= config.maxBodyBytes(), body + " bytes");
        assertTrue(first.block().encode().length <= config.maxBlockBytes());
        chain.commit(first);
        assertEquals(5, builder.build(2, PROPOSER, new byte[0]).block().transactions().size(), "the rest goes in the next block");
    }

    @Test
    void aProposerStopsAddingTransactionsOnceItsExecutionBudgetIsUsed() throws Exception {
        ChainConfig config = new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, GWEI, ChainConfig.DEFAULT_MAX_TX_BYTES,
                ChainConfig.DEFAULT_MAX_BLOCK_BYTES, Duration.ofSeconds(1));
        ChainState chain = chain(config);
        TxSubmission submission = new TxSubmission(chain, new Mempool(MempoolConfig.DEFAULT, GWEI, System::currentTimeMillis));
        for (long n = 0; n < 10; n++) submission.submit(TestTxs.transfer(OWNER, n, ALICE.getAddress(), BigInteger.ONE));
        AtomicLong nanos = new AtomicLong();
        // Each look at the clock finds 400 ms more gone: two transactions fit in the 1 s budget.
        BlockBuilder builder = new BlockBuilder(chain, submission.mempool(), () -> nanos.getAndAdd(400_000_000L));

        ExecutedBlock block = builder.build(1, PROPOSER, new byte[0]);
        assertEquals(2, block.block().transactions().size());
        assertEquals(10, submission.mempool().size(), "the others wait for the next block");
    }

    @Test
    void aTransactionTheEvmRejectsLeavesThePoolForGood() throws Exception {
        ChainState chain = chain(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, GWEI));
        Mempool mempool = new Mempool(MempoolConfig.DEFAULT, GWEI, System::currentTimeMillis);
        // Pooled while it looked funded (as a member that saw another state might), refused by the EVM: no funds.
        SignedTransaction broke = chain.decoder().decode(TestTxs.transfer(BOB, 0, ALICE.getAddress(), BigInteger.ONE));
        assertInstanceOf(AddResult.Added.class, mempool.add(broke, 0, ETHER));
        SignedTransaction fine = chain.decoder().decode(TestTxs.transfer(OWNER, 0, ALICE.getAddress(), BigInteger.ONE));
        mempool.add(fine, 0, ETHER);

        ExecutedBlock block = new BlockBuilder(chain, mempool).build(1, PROPOSER, new byte[0]);
        assertEquals(1, block.block().transactions().size());
        assertEquals(fine.hashHex(), block.block().transactions().get(0).hashHex());
        assertTrue(mempool.get(broke.hashHex()).isEmpty(), "never offered again");
    }

    /** JUMPDEST; PUSH0; JUMP: loops until its gas runs out. */
    private static final Address LOOP = Address.fromHex("0x00000000000000000000000000000000000100f0");

    private ChainState chainWithLoop(Duration budget) {
        ChainConfig config = new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, GWEI, ChainConfig.DEFAULT_MAX_TX_BYTES,
                ChainConfig.DEFAULT_MAX_BLOCK_BYTES, budget);
        java.util.Map<Address, Genesis.GenesisAccount> alloc = new java.util.LinkedHashMap<>();
        alloc.put(TestTxs.address(OWNER), Genesis.GenesisAccount.funded(ETHER.multiply(BigInteger.valueOf(1000))));
        alloc.put(TestTxs.address(ALICE), Genesis.GenesisAccount.funded(ETHER));
        alloc.put(LOOP, new Genesis.GenesisAccount(BigInteger.ZERO, 1, new byte[] {0x5b, 0x5f, 0x56}, java.util.Map.of()));
        return ChainState.open(ChainStore.open(dir), new Genesis(config, 0, Address.of(new byte[20]), new byte[0], alloc));
    }

    @Test
    void aTransactionStillRunningWhenTheBudgetIsUsedUpIsLeftForALaterBlock() throws Exception {
        ChainState chain = chainWithLoop(Duration.ofMillis(2));
        TxSubmission submission = new TxSubmission(chain, new Mempool(MempoolConfig.DEFAULT, GWEI, System::currentTimeMillis));
        // A transfer paying a tip goes first; the 30 M-gas loop behind it takes far longer than 2 ms.
        submission.submit(TestTxs.legacy(OWNER, CHAIN_ID, 0, GWEI.multiply(BigInteger.TWO), 21_000, ALICE.getAddress(), BigInteger.ONE, ""));
        SignedTransaction loop = chain.decoder().decode(TestTxs.legacy(ALICE, CHAIN_ID, 0, GWEI, 29_000_000, LOOP.toString(), BigInteger.ZERO, ""));
        Mempool pool = submission.mempool();
        pool.add(loop, 0, ETHER);

        ExecutedBlock block = new BlockBuilder(chain, pool).build(1, PROPOSER, new byte[0]);
        assertEquals(1, block.block().transactions().size(), "sealed without the loop");
        assertTrue(pool.get(loop.hashHex()).isPresent(), "it may still fit a later block");
        chain.commit(block);
        assertEquals(0, chain.account(TestTxs.address(ALICE)).nonce(), "the interrupted transaction left no trace");
    }

    @Test
    void aTransactionThatAloneRunsLongerThanFourBudgetsIsDropped() throws Exception {
        ChainState chain = chainWithLoop(Duration.ofMillis(1));
        Mempool pool = new Mempool(MempoolConfig.DEFAULT, GWEI, System::currentTimeMillis);
        SignedTransaction loop = chain.decoder().decode(TestTxs.legacy(OWNER, CHAIN_ID, 0, GWEI, 29_000_000, LOOP.toString(), BigInteger.ZERO, ""));
        pool.add(loop, 0, ETHER.multiply(BigInteger.TEN));

        ExecutedBlock block = new BlockBuilder(chain, pool).build(1, PROPOSER, new byte[0]);
        assertEquals(0, block.block().transactions().size());
        assertTrue(pool.get(loop.hashHex()).isEmpty(), "no block of this chain can hold it");
        chain.commit(block);
        assertEquals(0, chain.account(TestTxs.address(OWNER)).nonce());
    }
}
