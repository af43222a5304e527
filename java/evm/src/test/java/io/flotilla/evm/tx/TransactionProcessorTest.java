package io.flotilla.evm.tx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.InMemoryWorldState;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import io.flotilla.evm.vm.BlockEnv;
import io.flotilla.evm.vm.ContractAddress;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Transaction validation, fee accounting, calls, creates and EIP-6780 self-destruct end to end. */
class TransactionProcessorTest {
    static final Address SENDER = Address.fromHex("0x00000000000000000000000000000000000a11ce");
    static final Address TARGET = Address.fromHex("0x0000000000000000000000000000000000000b0b");
    static final Address COINBASE = Address.fromHex("0x00000000000000000000000000000000000000cb");
    static final BigInteger ETHER = BigInteger.TEN.pow(18);

    final InMemoryWorldState world = new InMemoryWorldState();
    final BlockEnv block = new BlockEnv(COINBASE, 1, 1000, 30_000_000, Word.of(10), Word.ZERO, 1, 0, n -> Word.ZERO);
    final TransactionProcessor processor = new TransactionProcessor();

    TransactionProcessorTest() {
        world.putAccount(SENDER, Account.of(0, Word.fromBigInteger(ETHER), new byte[0]));
    }

    static Transaction legacy(long nonce, long gas, long price, Address to, BigInteger value, String data) {
        return new Transaction(0, SENDER, nonce, BigInteger.valueOf(gas), BigInteger.valueOf(price), null, null, to, value,
                Hex.decode(data), List.of(), BigInteger.ZERO, List.of());
    }

    static Transaction feeMarket(long gas, long maxFee, long tip, Address to) {
        return new Transaction(2, SENDER, 0, BigInteger.valueOf(gas), null, BigInteger.valueOf(maxFee), BigInteger.valueOf(tip), to,
                BigInteger.ZERO, new byte[0], List.of(), BigInteger.ZERO, List.of());
    }

    private Receipt included(TxOutcome o) {
        return assertInstanceOf(TxOutcome.Included.class, o).receipt();
    }

    private TxRejection rejected(TxOutcome o) {
        return assertInstanceOf(TxOutcome.Rejected.class, o).reason();
    }

    @Test
    void intrinsicGasCountsDataCreateAndAccessList() {
        Transaction t = new Transaction(1, SENDER, 0, BigInteger.valueOf(100000), BigInteger.ONE, null, null, null, BigInteger.ZERO,
                Hex.decode("0x00ff00"), List.of(new AccessListEntry(TARGET, List.of(Word.ONE, Word.ZERO))), BigInteger.ZERO, List.of());
        assertEquals(21000 + 4 + 16 + 4 + 32000 + 2 + 2400 + 2 * 1900, TransactionProcessor.intrinsicGas(t));
    }

    @Test
    void plainTransferMovesValueAndPaysFees() {
        Receipt r = included(processor.process(world, block, legacy(0, 21000, 12, TARGET, BigInteger.valueOf(1234), "0x")));
        assertTrue(r.success());
        assertEquals(21000, r.gasUsed());
        assertEquals(Word.of(1234), world.account(TARGET).balance());
        assertEquals(Word.fromBigInteger(ETHER.subtract(BigInteger.valueOf(1234 + 21000 * 12))), world.account(SENDER).balance());
        assertEquals(1, world.account(SENDER).nonce());
        // the base fee (10/gas) is burnt; the coinbase gets only the tip (2/gas)
        assertEquals(Word.of(21000 * 2), world.account(COINBASE).balance());
    }

    @Test
    void feeMarketTipIsCappedByMaxFee() {
        included(processor.process(world, block, feeMarket(21000, 13, 5, TARGET)));
        assertEquals(Word.of(21000 * 3), world.account(COINBASE).balance());
    }

    @Test
    void namedRejections() {
        assertEquals(TxRejection.INTRINSIC_GAS_TOO_LOW, rejected(processor.process(world, block, legacy(0, 20999, 10, TARGET, BigInteger.ZERO, "0x"))));
        assertEquals(TxRejection.NONCE_MISMATCH, rejected(processor.process(world, block, legacy(1, 21000, 10, TARGET, BigInteger.ZERO, "0x"))));
        assertEquals(TxRejection.INSUFFICIENT_MAX_FEE_PER_GAS, rejected(processor.process(world, block, legacy(0, 21000, 9, TARGET, BigInteger.ZERO, "0x"))));
        assertEquals(TxRejection.INSUFFICIENT_ACCOUNT_FUNDS, rejected(processor.process(world, block, legacy(0, 21000, 10, TARGET, ETHER, "0x"))));
        assertEquals(TxRejection.GAS_ALLOWANCE_EXCEEDED, rejected(processor.process(world, block, legacy(0, 30_000_001, 10, TARGET, BigInteger.ZERO, "0x"))));
        assertEquals(TxRejection.PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS, rejected(processor.process(world, block, feeMarket(21000, 10, 11, TARGET))));
        assertEquals(TxRejection.INITCODE_SIZE_EXCEEDED, rejected(processor.process(world, block,
                legacy(0, 10_000_000, 10, null, BigInteger.ZERO, "0x" + "00".repeat(49153)))));
        world.putAccount(SENDER, Account.of(0, Word.fromBigInteger(ETHER), Hex.decode("0x00")));
        assertEquals(TxRejection.SENDER_NOT_EOA, rejected(processor.process(world, block, legacy(0, 21000, 10, TARGET, BigInteger.ZERO, "0x"))));
    }

    @Test
    void rejectedTransactionLeavesStateUntouched() {
        processor.process(world, block, legacy(5, 21000, 10, TARGET, BigInteger.ONE, "0x"));
        assertEquals(0, world.account(SENDER).nonce());
        assertNull(world.account(TARGET));
    }

    @Test
    void blobTransactionChecks() {
        Transaction noBlobs = new Transaction(3, SENDER, 0, BigInteger.valueOf(21000), null, BigInteger.TEN, BigInteger.ZERO, TARGET,
                BigInteger.ZERO, new byte[0], List.of(), BigInteger.ONE, List.of());
        assertEquals(TxRejection.TYPE_3_TX_ZERO_BLOBS, rejected(processor.process(world, block, noBlobs)));
        Transaction badVersion = new Transaction(3, SENDER, 0, BigInteger.valueOf(21000), null, BigInteger.TEN, BigInteger.ZERO, TARGET,
                BigInteger.ZERO, new byte[0], List.of(), BigInteger.ONE, List.of(Word.ONE));
        assertEquals(TxRejection.TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH, rejected(processor.process(world, block, badVersion)));
        Word hash = Word.fromHex("0x01" + "00".repeat(31));
        Transaction ok = new Transaction(3, SENDER, 0, BigInteger.valueOf(21000), null, BigInteger.TEN, BigInteger.ZERO, TARGET,
                BigInteger.ZERO, new byte[0], List.of(), BigInteger.ONE, List.of(hash));
        included(processor.process(world, block, ok));
        // blob gas 131072 at blob base fee 1 is charged on top of 21000 * 10
        assertEquals(Word.fromBigInteger(ETHER.subtract(BigInteger.valueOf(210000 + 131072))), world.account(SENDER).balance());
    }

    @Test
    void createDeploysReturnedCodeAndLogsAreInTheReceipt() {
        // init code: LOG0 of nothing, then return the 1-byte code 0xfe stored at memory[0]
        String init = "0x" + "60006000a0" + "60fe600053" + "60016000f3";
        Receipt r = included(processor.process(world, block, legacy(0, 200_000, 10, null, BigInteger.ZERO, init)));
        assertTrue(r.success());
        Address created = ContractAddress.create(SENDER, 0);
        assertArrayEquals(new byte[] {(byte) 0xfe}, world.account(created).code());
        assertEquals(1, world.account(created).nonce());
        assertEquals(1, r.logs().size());
        assertEquals(created, r.logs().get(0).address());
        assertFalse(java.util.Arrays.equals(new byte[256], r.bloom()));
    }

    @Test
    void createRejectsCodeStartingWithEf() {
        String init = "0x" + "60ef600053" + "60016000f3";
        Receipt r = included(processor.process(world, block, legacy(0, 200_000, 10, null, BigInteger.ZERO, init)));
        assertFalse(r.success());
        assertEquals(200_000, r.gasUsed());
        assertNull(world.account(ContractAddress.create(SENDER, 0)));
    }

    @Test
    void create2AddressMatchesEip1014Example() {
        // EIP-1014 example 5: deployer 0x00000000000000000000000000000000deadbeef, salt 0xcafebabe, init 0xdeadbeef
        Address a = ContractAddress.create2(Address.fromHex("0x00000000000000000000000000000000deadbeef"),
                Word.fromHex("0xcafebabe"), Hex.decode("0xdeadbeef"));
        assertEquals(Address.fromHex("0x60f3f640a8508fC6a86d45DF051962668E1e8AC7"), a);
    }

    @Test
    void selfDestructOnlyDeletesContractsCreatedInTheSameTransaction() {
        // An existing contract self-destructing keeps its code (EIP-6780) but sends its balance away.
        world.putAccount(TARGET, Account.of(1, Word.of(500), Hex.decode("0x61beefff")));
        Receipt r = included(processor.process(world, block, legacy(0, 100_000, 10, TARGET, BigInteger.ZERO, "0x")));
        assertTrue(r.success());
        assertEquals(Word.ZERO, world.account(TARGET).balance());
        assertEquals(4, world.account(TARGET).code().length);
        assertEquals(Word.of(500), world.account(Address.fromHex("0xbeef")).balance());

        // A contract whose init code self-destructs is gone after the transaction.
        InMemoryWorldState w2 = new InMemoryWorldState();
        w2.putAccount(SENDER, Account.of(0, Word.fromBigInteger(ETHER), new byte[0]));
        included(processor.process(w2, block, legacy(0, 100_000, 10, null, BigInteger.TEN, "0x61beefff")));
        assertNull(w2.account(ContractAddress.create(SENDER, 0)));
        assertEquals(Word.of(10), w2.account(Address.fromHex("0xbeef")).balance());
    }

    @Test
    void refundIsCappedAtOneFifthOfGasUsed() {
        // Contract clears a pre-set slot: 4800 refund, capped by gasUsed/5
        world.putAccount(TARGET, Account.of(1, Word.ZERO, Hex.decode("0x6000600055")));
        world.putStorage(TARGET, Word.ZERO, Word.ONE);
        Receipt r = included(processor.process(world, block, legacy(0, 100_000, 10, TARGET, BigInteger.ZERO, "0x")));
        long raw = 21000 + 6 + 2100 + 2900;
        assertEquals(raw - Math.min(raw / 5, 4800), r.gasUsed());
        assertEquals(Word.ZERO, world.storage(TARGET, Word.ZERO));
    }

    private static final String CALL_CALLEE_AND_STORE_RESULT_PLUS_16 =
            "0x" + "6000600060006000600062" + "0c0ffe" + "5af1" + "601001" + "600155";
    private static final Address CALLEE = Address.fromHex("0x00000000000000000000000000000000000c0ffe");

    @Test
    void nestedCallRevertUndoesOnlyTheCallee() {
        world.putAccount(CALLEE, Account.of(1, Word.ZERO, Hex.decode("0x" + "6001600055" + "60006000fd")));
        world.putAccount(TARGET, Account.of(1, Word.ZERO, Hex.decode(CALL_CALLEE_AND_STORE_RESULT_PLUS_16)));
        Receipt r = included(processor.process(world, block, legacy(0, 200_000, 10, TARGET, BigInteger.ZERO, "0x")));
        assertTrue(r.success());
        assertEquals(Word.ZERO, world.storage(CALLEE, Word.ZERO));
        assertEquals(Word.of(16), world.storage(TARGET, Word.ONE));
    }

    @Test
    void nestedCallSuccessKeepsCalleeWrites() {
        world.putAccount(CALLEE, Account.of(1, Word.ZERO, Hex.decode("0x" + "6001600055" + "00")));
        world.putAccount(TARGET, Account.of(1, Word.ZERO, Hex.decode(CALL_CALLEE_AND_STORE_RESULT_PLUS_16)));
        included(processor.process(world, block, legacy(0, 200_000, 10, TARGET, BigInteger.ZERO, "0x")));
        assertEquals(Word.ONE, world.storage(CALLEE, Word.ZERO));
        assertEquals(Word.of(17), world.storage(TARGET, Word.ONE));
    }

    @Test
    void callDepthStopsAt1024() throws Exception {
        // Each frame increments slot 0 and calls itself with all its gas; the 1025th call fails.
        String code = "0x" + "600054600101600055" + "6000600060006000600030" + "5a" + "f1" + "00";
        world.putAccount(TARGET, Account.of(1, Word.ZERO, Hex.decode(code)));
        BlockEnv roomy = new BlockEnv(COINBASE, 1, 1000, Long.MAX_VALUE / 2, Word.ZERO, Word.ZERO, 1, 0, n -> Word.ZERO);
        Transaction tx = new Transaction(0, SENDER, 0, BigInteger.valueOf(Long.MAX_VALUE / 4), BigInteger.ZERO, null, null, TARGET,
                BigInteger.ZERO, new byte[0], List.of(), BigInteger.ZERO, List.of());
        TxOutcome[] out = new TxOutcome[1];
        // Frames recurse on the Java stack, so run on a thread with room for 1024 of them.
        Thread t = new Thread(null, () -> out[0] = processor.process(world, roomy, tx), "deep", 16L << 20);
        t.start();
        t.join();
        assertTrue(included(out[0]).success());
        assertEquals(Word.of(1025), world.storage(TARGET, Word.ZERO));
    }
}
