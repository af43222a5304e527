package io.flotilla.evm.tx;

import static io.flotilla.evm.tx.TransactionProcessorTest.COINBASE;
import static io.flotilla.evm.tx.TransactionProcessorTest.ETHER;
import static io.flotilla.evm.tx.TransactionProcessorTest.SENDER;
import static io.flotilla.evm.tx.TransactionProcessorTest.TARGET;
import static io.flotilla.evm.tx.TransactionProcessorTest.legacy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.InMemoryWorldState;
import io.flotilla.evm.state.WorldState;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import io.flotilla.evm.vm.BlockEnv;
import io.flotilla.evm.vm.ContractAddress;
import io.flotilla.evm.vm.ExecutionInterrupted;
import java.math.BigInteger;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Nothing that goes wrong while a transaction executes may escape the processor or leave a trace in the
 * world state: the transaction is rejected with EXECUTION_FAILED and the state is exactly what it was.
 * Also the inputs that used to throw (the 11-byte CALLDATALOAD create, MODEXP lengths near 2^63 and 2^64)
 * now execute as Ethereum defines.
 */
class ExecutionFailureTest {
    static final Address TRIGGER = Address.fromHex("0x000000000000000000000000000000000000dead");
    static final Address CALLEE = Address.fromHex("0x000000000000000000000000000000000000cafe");
    static final Address BENEFICIARY = Address.fromHex("0x000000000000000000000000000000000000beef");
    static final Address MODEXP = Address.precompile(5);

    final BlockEnv block = new BlockEnv(COINBASE, 1, 1000, 30_000_000, Word.of(10), Word.ZERO, 1, 0, n -> Word.ZERO);
    final TransactionProcessor processor = new TransactionProcessor();

    /** An in-memory world state that throws a chosen error when one address is read or deleted. */
    static final class FailingWorldState implements WorldState {
        final InMemoryWorldState inner = new InMemoryWorldState();
        Address failOnRead;
        Address failOnDelete;
        Supplier<Throwable> failure = () -> new IllegalStateException("disk on fire");

        private void fail() {
            Throwable t = failure.get();
            if (t instanceof RuntimeException r) throw r;
            throw (Error) t;
        }

        @Override
        public Account account(Address a) {
            if (a.equals(failOnRead)) fail();
            return inner.account(a);
        }

        @Override
        public void putAccount(Address a, Account account) {
            inner.putAccount(a, account);
        }

        @Override
        public void deleteAccount(Address a) {
            if (a.equals(failOnDelete)) fail();
            inner.deleteAccount(a);
        }

        @Override
        public Word storage(Address a, Word key) {
            return inner.storage(a, key);
        }

        @Override
        public void putStorage(Address a, Word key, Word value) {
            inner.putStorage(a, key, value);
        }

        @Override
        public Map<Word, Word> storageOf(Address a) {
            return inner.storageOf(a);
        }

        @Override
        public void replaceStorage(Address a, Map<Word, Word> slots) {
            inner.replaceStorage(a, slots);
        }

        @Override
        public boolean hasStorage(Address a) {
            return inner.hasStorage(a);
        }

        @Override
        public Set<Address> addresses() {
            return inner.addresses();
        }
    }

    /** Every account with its nonce, balance, code and storage, in a comparable form. */
    static Map<String, String> dump(InMemoryWorldState w) {
        Map<String, String> out = new TreeMap<>();
        for (Address a : w.addresses()) {
            Account acc = w.account(a);
            out.put(a.toString(), acc.nonce() + " " + acc.balance() + " " + Hex.encode(acc.code()) + " " + new TreeMap<>(w.storageOf(a)));
        }
        return out;
    }

    private FailingWorldState world() {
        FailingWorldState w = new FailingWorldState();
        w.inner.putAccount(SENDER, Account.of(0, Word.fromBigInteger(ETHER), new byte[0]));
        return w;
    }

    private static TxRejection rejected(TxOutcome o) {
        return assertInstanceOf(TxOutcome.Rejected.class, o).reason();
    }

    private static Receipt included(TxOutcome o) {
        return assertInstanceOf(TxOutcome.Included.class, o).receipt();
    }

    // ---- inputs that used to throw ----

    @Test
    void theElevenByteCreateLoadsZerosAndDeploysAnEmptyContract() {
        // PUSH8 0x7fffffffffffffe0, CALLDATALOAD (a create has no call data: zero), STOP
        InMemoryWorldState w = world().inner;
        Receipt r = included(processor.process(w, block, legacy(0, 100_000, 10, null, BigInteger.ZERO, "0x677fffffffffffffe03500")));
        assertTrue(r.success());
        // 21000 + 32000 create + 10 non-zero bytes * 16 + 1 zero byte * 4 + 1 init code word * 2, then PUSH8 and CALLDATALOAD
        assertEquals(21000 + 32000 + 160 + 4 + 2 + 3 + 3, r.gasUsed());
        Account created = w.account(ContractAddress.create(SENDER, 0));
        assertEquals(1, created.nonce());
        assertEquals(0, created.code().length);
        assertEquals(1, w.account(SENDER).nonce());
    }

    static Stream<Named<BigInteger[]>> unpayableModexpLengths() {
        BigInteger one = BigInteger.ONE, zero = BigInteger.ZERO;
        BigInteger p63 = one.shiftLeft(63), p64 = one.shiftLeft(64);
        return Stream.of(
                Named.of("base 2^63-96 (96 + base = 2^63)", new BigInteger[] {p63.subtract(BigInteger.valueOf(96)), one, one}),
                Named.of("base 2^63-1", new BigInteger[] {p63.subtract(one), one, one}),
                Named.of("base 2^63", new BigInteger[] {p63, one, one}),
                Named.of("base 2^64-1", new BigInteger[] {p64.subtract(one), one, one}),
                Named.of("exponent 2^63", new BigInteger[] {one, p63, one}),
                Named.of("exponent 2^64-1", new BigInteger[] {one, p64.subtract(one), one}),
                Named.of("modulus 2^63-1", new BigInteger[] {zero, zero, p63.subtract(one)}),
                Named.of("modulus 2^64-1", new BigInteger[] {zero, zero, p64.subtract(one)}),
                Named.of("all 2^64-1", new BigInteger[] {p64.subtract(one), p64.subtract(one), p64.subtract(one)}));
    }

    private static String modexpHeader(BigInteger[] lengths) {
        return String.format("0x%064x%064x%064x", lengths[0], lengths[1], lengths[2]);
    }

    @ParameterizedTest(name = "MODEXP with {0} is out of gas")
    @MethodSource("unpayableModexpLengths")
    void modexpWithUnpayableLengthsFailsAndConsumesAllGas(BigInteger[] lengths) {
        InMemoryWorldState w = world().inner;
        Receipt r = included(processor.process(w, block, legacy(0, 1_000_000, 10, MODEXP, BigInteger.ZERO, modexpHeader(lengths) + "0203")));
        assertFalse(r.success());
        assertEquals(1_000_000, r.gasUsed());
        assertEquals(1, w.account(SENDER).nonce());
        assertEquals(Word.fromBigInteger(ETHER.subtract(BigInteger.valueOf(10_000_000))), w.account(SENDER).balance());
    }

    @Test
    void modexpWithAnExponentOf2To64Minus1BytesButNoBaseOrModulusCosts200() {
        InMemoryWorldState w = world().inner;
        String data = modexpHeader(new BigInteger[] {BigInteger.ZERO, BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE), BigInteger.ZERO});
        TxExecution ex = processor.processWithOutput(w, block, legacy(0, 1_000_000, 10, MODEXP, BigInteger.ZERO, data));
        Receipt r = included(ex.outcome());
        assertTrue(r.success());
        // 8 bytes 0xff at 16 gas, 88 zero bytes at 4, and the minimum price
        assertEquals(21000 + 8 * 16 + 88 * 4 + 200, r.gasUsed());
        assertArrayEquals(new byte[0], ex.output());
    }

    // ---- errors inside execution ----

    static Stream<Named<Supplier<Throwable>>> failures() {
        return Stream.of(
                Named.of("IllegalStateException", () -> new IllegalStateException("disk on fire")),
                Named.of("ArithmeticException", () -> new ArithmeticException("BigInteger would overflow supported range")),
                Named.of("ArrayIndexOutOfBoundsException", () -> new ArrayIndexOutOfBoundsException("Index -8 out of bounds for length -7")),
                Named.of("NullPointerException", NullPointerException::new),
                Named.of("StackOverflowError", StackOverflowError::new),
                Named.of("OutOfMemoryError", () -> new OutOfMemoryError("Java heap space")),
                Named.of("AssertionError", () -> new AssertionError("unreachable")));
    }

    /**
     * TARGET writes a slot, sends 5 wei to a new account, creates an empty contract and then asks for TRIGGER's
     * balance, which the world state cannot answer.
     */
    private static final String WRITE_SEND_CREATE_THEN_READ_TRIGGER = "0x" + "6001600055"
            + "6000600060006000" + "6005" + "61cafe" + "5a" + "f1" + "50"
            + "600060006000f0" + "50"
            + "61dead" + "31" + "50" + "00";

    @ParameterizedTest(name = "{0} thrown mid-execution")
    @MethodSource("failures")
    void anErrorDuringExecutionRejectsTheTransactionAndRestoresTheWorld(Supplier<Throwable> failure) {
        FailingWorldState w = world();
        w.inner.putAccount(TARGET, Account.of(1, Word.of(100), Hex.decode(WRITE_SEND_CREATE_THEN_READ_TRIGGER)));
        w.inner.putStorage(TARGET, Word.ONE, Word.of(7));
        w.failOnRead = TRIGGER;
        w.failure = failure;
        Map<String, String> before = dump(w.inner);

        TxExecution ex = processor.processWithOutput(w, block, legacy(0, 500_000, 12, TARGET, BigInteger.valueOf(3), "0x"));

        TxOutcome.Rejected r = assertInstanceOf(TxOutcome.Rejected.class, ex.outcome());
        assertEquals(TxRejection.EXECUTION_FAILED, r.reason());
        assertTrue(r.detail().startsWith(failure.get().getClass().getName()), r.detail());
        assertEquals(before, dump(w.inner), "nonce, fees, value, storage, the new account and the created contract are all undone");
        assertArrayEquals(new byte[0], ex.output());
        assertNull(ex.halt());
    }

    @Test
    void anErrorInTheFinalAccountingAlsoUndoesDeletions() {
        // The init code touches the empty account TRIGGER and self-destructs (a contract created in this
        // transaction, so it is deleted). Deleting the touched empty TRIGGER at the end then fails.
        FailingWorldState w = world();
        w.inner.putAccount(TRIGGER, Account.of(0, Word.ZERO, new byte[0]));
        w.inner.putAccount(BENEFICIARY, Account.of(0, Word.ONE, new byte[0]));
        w.failOnDelete = TRIGGER;
        Map<String, String> before = dump(w.inner);
        String init = "0x" + "6000600060006000600061dead5af150" + "61beefff";

        TxOutcome o = processor.process(w, block, legacy(0, 200_000, 10, null, BigInteger.TEN, init));

        assertEquals(TxRejection.EXECUTION_FAILED, rejected(o));
        assertTrue(((TxOutcome.Rejected) o).detail().contains("disk on fire"));
        assertEquals(before, dump(w.inner));
        assertNull(w.inner.account(ContractAddress.create(SENDER, 0)));

        // the same transaction on a healthy state: the contract is gone, TRIGGER cleaned up, BENEFICIARY paid
        w.failOnDelete = null;
        assertTrue(included(processor.process(w, block, legacy(0, 200_000, 10, null, BigInteger.TEN, init))).success());
        assertNull(w.inner.account(ContractAddress.create(SENDER, 0)));
        assertNull(w.inner.account(TRIGGER));
        assertEquals(Word.of(11), w.inner.account(BENEFICIARY).balance());
    }

    @Test
    void aFailingWorldStateDuringValidationRejectsWithoutWriting() {
        FailingWorldState w = world();
        w.failOnRead = SENDER;
        Map<String, String> before = dump(w.inner);
        assertEquals(TxRejection.EXECUTION_FAILED, rejected(processor.process(w, block, legacy(0, 21000, 10, TARGET, BigInteger.ONE, "0x"))));
        assertEquals(before, dump(w.inner));
    }

    @Test
    void aJavaStackOverflowInADeepCallChainIsARejectionNotACrash() throws Exception {
        // Each frame increments slot 0 and calls itself with all its gas. On a 256 KiB Java stack the JVM runs
        // out of stack long before depth 1024; the transaction is rejected and nothing it did remains.
        InMemoryWorldState w = world().inner;
        String code = "0x" + "600054600101600055" + "6000600060006000600030" + "5a" + "f1" + "00";
        w.putAccount(TARGET, Account.of(1, Word.ZERO, Hex.decode(code)));
        Map<String, String> before = dump(w);
        TxOutcome[] out = new TxOutcome[1];
        Thread t = new Thread(null, () -> out[0] = processor.process(w, block, legacy(0, 29_000_000, 10, TARGET, BigInteger.ZERO, "0x")),
                "small-stack", 256 << 10);
        t.start();
        t.join();
        TxOutcome.Rejected r = assertInstanceOf(TxOutcome.Rejected.class, out[0]);
        assertEquals(TxRejection.EXECUTION_FAILED, r.reason());
        assertTrue(r.detail().startsWith("java.lang.StackOverflowError"), r.detail());
        assertEquals(before, dump(w));
    }

    @Test
    void anInterruptedExecutionIsStillThrownButLeavesTheWorldUnchanged() {
        // JUMPDEST PUSH0 JUMP loops forever; an interrupted thread stops at the first jump
        InMemoryWorldState w = world().inner;
        w.putAccount(TARGET, Account.of(1, Word.ZERO, Hex.decode("0x5b5f56")));
        Map<String, String> before = dump(w);
        Thread.currentThread().interrupt();
        try {
            assertThrows(ExecutionInterrupted.class,
                    () -> processor.processWithOutput(w, block, legacy(0, 1_000_000, 10, TARGET, BigInteger.ONE, "0x")));
        } finally {
            assertTrue(Thread.interrupted(), "the interrupt stays set for the caller");
        }
        assertEquals(before, dump(w));
        // and the processor still works afterwards
        assertFalse(included(processor.process(w, block, legacy(0, 100_000, 10, TARGET, BigInteger.ONE, "0x"))).success());
        assertEquals(1, w.account(SENDER).nonce());
    }
}
