package io.flotilla.chain.execution;

import static io.flotilla.chain.tx.TestTxs.ALICE;
import static io.flotilla.chain.tx.TestTxs.BOB;
import static io.flotilla.chain.tx.TestTxs.CHAIN_ID;
import static io.flotilla.chain.tx.TestTxs.ETHER;
import static io.flotilla.chain.tx.TestTxs.GWEI;
import static io.flotilla.chain.tx.TestTxs.OWNER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.mempool.MempoolConfig;
import io.flotilla.chain.storage.Block;
import io.flotilla.chain.storage.BlockHeader;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.storage.TxReceipt;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.evm.state.StateRoot;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import io.flotilla.evm.vm.ContractAddress;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockExecutionTest {
    private static final String RUNTIME = TestContract.RUNTIME;
    private static final String INIT = TestContract.INIT;
    static final BigInteger MIN_GAS_PRICE = GWEI;
    private static final Address PROPOSER = Address.fromHex("0x00000000000000000000000000000000000000b0");
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_800_000_000L), ZoneOffset.UTC);

    @TempDir
    Path dir;

    static Genesis genesis(long gasLimit) {
        return Genesis.of(new ChainConfig(CHAIN_ID, gasLimit, MIN_GAS_PRICE), TestTxs.address(OWNER), ETHER.multiply(BigInteger.valueOf(100)));
    }

    private DevChain open(Path path, long gasLimit) {
        return new DevChain(ChainStore.open(path), genesis(gasLimit), PROPOSER, MempoolConfig.DEFAULT, CLOCK, false);
    }

    @Test
    void valueTransfersPayFeesBurnTheBaseFeeAndTipTheProposer() throws Exception {
        try (DevChain dev = open(dir, ChainConfig.DEFAULT_GAS_LIMIT)) {
            dev.submission().submit(TestTxs.legacy(OWNER, CHAIN_ID, 0, GWEI.multiply(BigInteger.TWO), 21_000, ALICE.getAddress(), ETHER, ""));
            dev.submission().submit(TestTxs.eip1559(OWNER, CHAIN_ID, 1, 21_000, BOB.getAddress(), ETHER, "0x", GWEI, GWEI.multiply(BigInteger.valueOf(3))));
            ExecutedBlock b = dev.produceBlock();

            assertEquals(2, b.block().transactions().size());
            assertEquals(List.of(21_000L, 42_000L), b.receipts().stream().map(TxReceipt::cumulativeGasUsed).toList());
            assertTrue(b.receipts().stream().allMatch(TxReceipt::success));
            BlockHeader h = b.block().header();
            assertEquals(1, h.number());
            assertEquals(42_000, h.gasUsed());
            assertEquals(MIN_GAS_PRICE, h.baseFeePerGas(), "constant base fee = minimum gas price");
            assertEquals(PROPOSER, h.proposer());

            ChainState chain = dev.chain();
            BigInteger fee = BigInteger.valueOf(21_000).multiply(GWEI.multiply(BigInteger.TWO)); // both pay 2 gwei/gas
            assertEquals(ETHER.multiply(BigInteger.valueOf(98)).subtract(fee.multiply(BigInteger.TWO)), chain.account(TestTxs.address(OWNER)).balance().toBigInteger());
            assertEquals(ETHER, chain.account(TestTxs.address(ALICE)).balance().toBigInteger());
            assertEquals(BigInteger.valueOf(42_000).multiply(GWEI), chain.account(PROPOSER).balance().toBigInteger(), "tips above the base fee");
            assertEquals(2, chain.account(TestTxs.address(OWNER)).nonce());
            assertArrayEquals(chain.read(StateRoot::compute), h.stateRoot());
            assertEquals(0, dev.mempool().size(), "included transactions leave the pool");
        }
    }

    @Test
    void contractDeploymentCallLogsRevertAndEstimate() throws Exception {
        try (DevChain dev = open(dir, ChainConfig.DEFAULT_GAS_LIMIT)) {
            Address owner = TestTxs.address(OWNER);
            dev.submission().submit(TestTxs.eip1559(OWNER, CHAIN_ID, 0, 200_000, null, BigInteger.ZERO, "0x" + INIT, GWEI, GWEI.multiply(BigInteger.TWO)));
            TxReceipt deploy = dev.produceBlock().receipts().get(0);
            Address contract = ContractAddress.create(owner, 0);
            assertTrue(deploy.success());
            assertEquals(contract, deploy.contractAddress());
            assertEquals(RUNTIME, Hex.encode(dev.chain().account(contract).code()).substring(2));

            dev.submission().submit(TestTxs.legacy(OWNER, CHAIN_ID, 1, GWEI, 100_000, contract.toString(), BigInteger.ZERO, TestTxs.word(42)));
            TxReceipt set = dev.produceBlock().receipts().get(0);
            assertTrue(set.success());
            assertEquals(1, set.logs().size());
            assertEquals(contract, set.logs().get(0).address());
            assertEquals(List.of(Word.of(0xaa)), set.logs().get(0).topics());
            assertEquals(Word.of(42), Word.fromBytes(set.logs().get(0).data()));
            assertEquals(Word.of(42), dev.chain().storage(contract, Word.ZERO));

            CallOutcome get = dev.chain().call(new CallRequest(null, contract, null, null, null, new byte[0]));
            assertEquals(Word.of(42), Word.fromBytes(assertInstanceOf(CallOutcome.Success.class, get).output()));

            CallOutcome revert = dev.chain().call(new CallRequest(owner, contract, null, null, null, Hex.decode(TestTxs.word(0))));
            assertEquals("0xdeadbeef", Hex.encode(assertInstanceOf(CallOutcome.Reverted.class, revert).data()));

            CallRequest setSeven = new CallRequest(owner, contract, null, null, null, Hex.decode(TestTxs.word(7)));
            long estimate = dev.chain().estimateGas(setSeven).gas();
            assertTrue(estimate > 21_000, "estimate " + estimate);
            assertInstanceOf(CallOutcome.Success.class, dev.chain().call(withGas(setSeven, estimate)));
            assertFalse(dev.chain().call(withGas(setSeven, estimate - 1)) instanceof CallOutcome.Success, "the estimate is the minimum");
            assertEquals(Word.of(42), dev.chain().storage(contract, Word.ZERO), "simulations never touch the committed state");
        }
    }

    @Test
    void stateRootsFromCachedStorageRootsEqualAFullRecomputation() throws Exception {
        try (DevChain dev = open(dir, ChainConfig.DEFAULT_GAS_LIMIT)) {
            Address owner = TestTxs.address(OWNER);
            dev.submission().submit(TestTxs.eip1559(OWNER, CHAIN_ID, 0, 200_000, null, BigInteger.ZERO, "0x" + INIT, GWEI, GWEI));
            dev.submission().submit(TestTxs.eip1559(OWNER, CHAIN_ID, 1, 200_000, null, BigInteger.ZERO, "0x" + INIT, GWEI, GWEI));
            dev.produceBlock();
            Address a = ContractAddress.create(owner, 0);
            Address b = ContractAddress.create(owner, 1);
            // Block by block, storage changes in one contract while the other's root must come from the cache.
            long nonce = 2;
            for (Address target : List.of(a, b, a, b)) {
                dev.submission().submit(TestTxs.legacy(OWNER, CHAIN_ID, nonce, GWEI, 100_000, target.toString(), BigInteger.ZERO, TestTxs.word(nonce)));
                nonce++;
                BlockHeader h = dev.produceBlock().block().header();
                assertArrayEquals(dev.chain().read(StateRoot::compute), h.stateRoot(), "block " + h.number());
            }
            assertEquals(Word.of(4), dev.chain().storage(a, Word.ZERO));
            assertEquals(Word.of(5), dev.chain().storage(b, Word.ZERO));
        }
    }

    private static CallRequest withGas(CallRequest r, long gas) {
        return new CallRequest(r.from(), r.to(), gas, r.gasPrice(), r.value(), r.data());
    }

    @Test
    void aValidatorReExecutingTheBlocksReachesTheSameChainAndRejectsTamperedOnes(@TempDir Path other) throws Exception {
        List<Block> produced = new ArrayList<>();
        try (DevChain proposer = open(dir, ChainConfig.DEFAULT_GAS_LIMIT)) {
            proposer.submission().submit(TestTxs.transfer(OWNER, 0, ALICE.getAddress(), ETHER));
            proposer.submission().submit(TestTxs.eip1559(OWNER, CHAIN_ID, 1, 200_000, null, BigInteger.ZERO, "0x" + INIT, GWEI, GWEI));
            produced.add(proposer.produceBlock().block());
            proposer.submission().submit(TestTxs.transfer(ALICE, 0, BOB.getAddress(), BigInteger.TEN));
            proposer.produceBlock();
            // As the BFT engine will: the decided block travels with its commit certificate.
            produced.add(withCertificate(proposer.chain().block(2).orElseThrow()));
            try (DevChain validator = open(other, ChainConfig.DEFAULT_GAS_LIMIT)) {
                Block first = produced.get(0);
                BlockHeader h = first.header();
                Block tampered = new Block(new BlockHeader(h.parentHash(), h.number(), h.timestamp(), new byte[32], h.transactionsRoot(),
                        h.receiptsRoot(), h.logsBloom(), h.gasLimit(), h.gasUsed(), h.baseFeePerGas(), h.proposer(), h.extraData(),
                        h.commitCertificate()), first.transactions());
                assertThrows(InvalidBlockException.class, () -> validator.chain().apply(tampered));
                assertEquals(0, validator.chain().head().number(), "a rejected block changes nothing");

                for (Block b : produced) validator.chain().apply(b);
                assertArrayEquals(proposer.chain().head().hash(), validator.chain().head().hash());
                assertArrayEquals(new byte[] {1, 2, 3}, validator.chain().head().commitCertificate(), "the certificate is stored");
                assertEquals(BigInteger.TEN, validator.chain().account(TestTxs.address(BOB)).balance().toBigInteger());
                assertThrows(InvalidBlockException.class, () -> validator.chain().apply(produced.get(0)),
                        "a block that does not extend the head is refused");
            }
        }
    }

    private static Block withCertificate(Block b) {
        return new Block(b.header().withCommitCertificate(new byte[] {1, 2, 3}), b.transactions());
    }

    @Test
    void theBuilderKeepsNonceOrderAndTheGasLimit() throws Exception {
        try (DevChain dev = open(dir, 50_000)) {
            // Arrival order 1, 0, 2: a block still runs them 0, 1 and only two transfers fit in 50k gas.
            dev.submission().submit(TestTxs.transfer(OWNER, 1, ALICE.getAddress(), BigInteger.ONE));
            dev.submission().submit(TestTxs.transfer(OWNER, 0, ALICE.getAddress(), BigInteger.ONE));
            dev.submission().submit(TestTxs.transfer(OWNER, 2, ALICE.getAddress(), BigInteger.ONE));
            Block first = dev.produceBlock().block();
            assertEquals(List.of(0L, 1L), first.transactions().stream().map(t -> t.nonce()).toList());
            Block second = dev.produceBlock().block();
            assertEquals(List.of(2L), second.transactions().stream().map(t -> t.nonce()).toList());
            assertTrue(dev.produceBlock().block().transactions().isEmpty(), "on demand, even empty");
        }
    }

    @Test
    void admissionNamesWhyATransactionIsRefused() throws Exception {
        try (DevChain dev = open(dir, ChainConfig.DEFAULT_GAS_LIMIT)) {
            dev.submission().submit(TestTxs.transfer(OWNER, 0, ALICE.getAddress(), BigInteger.ONE));
            dev.produceBlock();
            assertEquals("nonce too low", refusal(dev, TestTxs.transfer(OWNER, 0, ALICE.getAddress(), BigInteger.ONE)));
            assertEquals("insufficient funds for gas * price + value", refusal(dev, TestTxs.transfer(BOB, 0, ALICE.getAddress(), BigInteger.ONE)));
            assertTrue(refusal(dev, TestTxs.legacy(OWNER, CHAIN_ID + 1, 1, GWEI, 21_000, ALICE.getAddress(), BigInteger.ONE, ""))
                    .startsWith("invalid chain id for signer"));
            assertTrue(refusal(dev, TestTxs.legacy(OWNER, CHAIN_ID, 1, GWEI.subtract(BigInteger.ONE), 21_000, ALICE.getAddress(), BigInteger.ONE, ""))
                    .startsWith("transaction underpriced"));
            assertEquals("intrinsic gas too low", refusal(dev, TestTxs.legacy(OWNER, CHAIN_ID, 1, GWEI, 20_000, ALICE.getAddress(), BigInteger.ONE, "")));
            assertEquals("exceeds block gas limit", refusal(dev, TestTxs.legacy(OWNER, CHAIN_ID, 1, GWEI, 30_000_001, ALICE.getAddress(), BigInteger.ONE, "")));
        }
    }

    private static String refusal(DevChain dev, byte[] raw) {
        return assertThrows(SubmissionException.class, () -> dev.submission().submit(raw)).getMessage();
    }

    @Test
    void reopeningTheStoreResumesFromTheLastCommittedBlock() throws Exception {
        byte[] headHash;
        try (DevChain dev = open(dir, ChainConfig.DEFAULT_GAS_LIMIT)) {
            dev.submission().submit(TestTxs.transfer(OWNER, 0, ALICE.getAddress(), ETHER));
            dev.produceBlock();
            dev.submission().submit(TestTxs.eip1559(OWNER, CHAIN_ID, 1, 200_000, null, BigInteger.ZERO, "0x" + INIT, GWEI, GWEI));
            dev.produceBlock();
            headHash = dev.chain().head().hash();
        }
        try (DevChain dev = open(dir, ChainConfig.DEFAULT_GAS_LIMIT)) {
            assertEquals(2, dev.chain().head().number());
            assertArrayEquals(headHash, dev.chain().head().hash());
            assertEquals(ETHER, dev.chain().account(TestTxs.address(ALICE)).balance().toBigInteger());
            assertEquals(RUNTIME, Hex.encode(dev.chain().account(ContractAddress.create(TestTxs.address(OWNER), 1)).code()).substring(2));
            assertArrayEquals(dev.chain().head().stateRoot(), dev.chain().read(StateRoot::compute));
            dev.submission().submit(TestTxs.transfer(OWNER, 2, ALICE.getAddress(), ETHER));
            assertEquals(3, dev.produceBlock().block().number(), "and keeps going");
        }
        Genesis different = Genesis.of(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, MIN_GAS_PRICE), TestTxs.address(BOB), ETHER);
        try (ChainStore store = ChainStore.open(dir)) {
            assertThrows(IllegalStateException.class, () -> ChainState.open(store, different));
        }
    }
}
