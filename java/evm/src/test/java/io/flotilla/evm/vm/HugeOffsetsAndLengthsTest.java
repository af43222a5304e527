package io.flotilla.evm.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Offsets, sizes, positions and block numbers at the edges of int, long and 256-bit ranges, for every opcode
 * that takes one. The specs read all of them as 256-bit numbers: reading data past its end gives zeros, a
 * memory range that is not empty must be paid for (here: out of gas, all gas consumed), an empty range costs
 * nothing wherever it starts. No Java exception may escape from any of them.
 */
class HugeOffsetsAndLengthsTest {
    private static final long GAS = 1_000_000;
    private static final Address CALLEE = Address.fromHex("0x000000000000000000000000000000000000cafe");
    private static final String FF32 = "ff".repeat(32);
    /** MSTORE the top word at 0 and RETURN memory[0..32). */
    private static final String RETURN_TOP = "60005260206000f3";

    static BigInteger pow2(int n) {
        return BigInteger.ONE.shiftLeft(n);
    }

    /** The edges: around 2^31, 2^32, 2^63, 2^64 and the largest word, plus the offset of the CALLDATALOAD crash. */
    static Stream<Named<BigInteger>> edges() {
        return Stream.of(
                Named.of("2^31-1", pow2(31).subtract(BigInteger.ONE)),
                Named.of("2^31", pow2(31)),
                Named.of("2^32-1", pow2(32).subtract(BigInteger.ONE)),
                Named.of("2^32", pow2(32)),
                Named.of("2^63-32", pow2(63).subtract(BigInteger.valueOf(32))),
                Named.of("2^63-1", pow2(63).subtract(BigInteger.ONE)),
                Named.of("2^63", pow2(63)),
                Named.of("2^64-1", pow2(64).subtract(BigInteger.ONE)),
                Named.of("2^64", pow2(64)),
                Named.of("2^256-1", pow2(256).subtract(BigInteger.ONE)));
    }

    /** PUSH32 of a value. */
    static String push(BigInteger v) {
        return "7f" + String.format("%064x", v);
    }

    static String push(long v) {
        return push(BigInteger.valueOf(v));
    }

    private static FrameResult run(String code) {
        return new EvmHarness().deploy(CALLEE, "00").call(code, GAS);
    }

    private static void assertOutOfGas(FrameResult r) {
        assertEquals(HaltReason.OUT_OF_GAS, r.error());
        assertEquals(0, r.gasLeft(), "an exceptional halt consumes all gas");
    }

    private static Word returned(FrameResult r) {
        assertTrue(r.success(), () -> "frame failed: " + r.error());
        return Word.fromBytes(r.output());
    }

    // ---- CALLDATALOAD ----

    @ParameterizedTest(name = "CALLDATALOAD at {0} loads zero")
    @MethodSource("edges")
    void calldataloadPastTheDataLoadsZero(BigInteger offset) {
        EvmHarness h = new EvmHarness().deploy(EvmHarness.CONTRACT, push(offset) + "35" + RETURN_TOP);
        assertEquals(Word.ZERO, returned(h.callAt(EvmHarness.CONTRACT, Hex.decode(FF32), GAS, false)));
    }

    @Test
    void calldataloadAcrossTheEndOfTheDataIsZeroPadded() {
        EvmHarness h = new EvmHarness().deploy(EvmHarness.CONTRACT, push(16) + "35" + RETURN_TOP);
        Word w = returned(h.callAt(EvmHarness.CONTRACT, Hex.decode(FF32), GAS, false));
        assertEquals(Word.fromHex("0x" + "ff".repeat(16) + "00".repeat(16)), w);
    }

    // ---- CALLDATACOPY, CODECOPY, EXTCODECOPY, MCOPY ----

    /** opcode(dest, offset, size); EXTCODECOPY copies from CALLEE. */
    private static String copy(String opcode, BigInteger dest, BigInteger offset, BigInteger size) {
        return push(size) + push(offset) + push(dest) + (opcode.equals("3c") ? "61cafe" : "") + opcode;
    }

    static Stream<Arguments> sourceCopiesAtEdges() {
        List<Arguments> out = new ArrayList<>();
        for (Named<String> op : List.of(Named.of("CALLDATACOPY", "37"), Named.of("CODECOPY", "39"), Named.of("EXTCODECOPY", "3c"))) {
            edges().forEach(e -> out.add(Arguments.of(op, e)));
        }
        return out.stream();
    }

    static Stream<Arguments> allCopiesAtEdges() {
        List<Arguments> out = new ArrayList<>(sourceCopiesAtEdges().toList());
        edges().forEach(e -> out.add(Arguments.of(Named.of("MCOPY", "5e"), e)));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} from offset {1} writes zeros")
    @MethodSource("sourceCopiesAtEdges")
    void copiesFromPastTheSourceWriteZeros(String opcode, BigInteger offset) {
        // memory[0..32) starts as all ones so the zeros are visibly written
        String code = push(pow2(256).subtract(BigInteger.ONE)) + "600052" + copy(opcode, BigInteger.ZERO, offset, BigInteger.valueOf(32))
                + "60206000f3";
        assertEquals(Word.ZERO, returned(run(code)));
    }

    @ParameterizedTest(name = "{0} of size {1} is out of gas")
    @MethodSource("allCopiesAtEdges")
    void copiesOfAHugeSizeRunOutOfGas(String opcode, BigInteger size) {
        assertOutOfGas(run(copy(opcode, BigInteger.ZERO, BigInteger.ZERO, size)));
    }

    @ParameterizedTest(name = "{0} to destination {1} is out of gas")
    @MethodSource("allCopiesAtEdges")
    void copiesToAHugeDestinationRunOutOfGas(String opcode, BigInteger dest) {
        assertOutOfGas(run(copy(opcode, dest, BigInteger.ZERO, BigInteger.ONE)));
    }

    @ParameterizedTest(name = "{0} of nothing at {1} expands no memory")
    @MethodSource("allCopiesAtEdges")
    void emptyCopiesIgnoreHugeOffsets(String opcode, BigInteger offset) {
        assertEquals(Word.ZERO, returned(run(copy(opcode, offset, offset, BigInteger.ZERO) + "59" + RETURN_TOP)));
    }

    @ParameterizedTest(name = "MCOPY from source {0} is out of gas")
    @MethodSource("edges")
    void mcopyFromAHugeSourceRunsOutOfGas(BigInteger src) {
        // unlike data copies, the source is memory too and must be expanded
        assertOutOfGas(run(copy("5e", BigInteger.ZERO, src, BigInteger.ONE)));
    }

    // ---- RETURNDATACOPY ----

    @ParameterizedTest(name = "RETURNDATACOPY at offset or size {0} halts")
    @MethodSource("edges")
    void returndatacopyPastTheReturnDataHalts(BigInteger n) {
        for (String code : List.of(copy("3e", BigInteger.ZERO, n, BigInteger.ZERO), copy("3e", BigInteger.ZERO, BigInteger.ZERO, n))) {
            FrameResult r = run(code);
            assertEquals(HaltReason.RETURN_DATA_OUT_OF_BOUNDS, r.error());
            assertEquals(0, r.gasLeft());
        }
    }

    @ParameterizedTest(name = "RETURNDATACOPY of nothing to {0} expands no memory")
    @MethodSource("edges")
    void returndatacopyOfNothingToAHugeDestinationSucceeds(BigInteger dest) {
        assertEquals(Word.ZERO, returned(run(copy("3e", dest, BigInteger.ZERO, BigInteger.ZERO) + "59" + RETURN_TOP)));
    }

    // ---- KECCAK256 ----

    @ParameterizedTest(name = "KECCAK256 of nothing at {0} is the empty hash")
    @MethodSource("edges")
    void keccakOfNothingAtAHugeOffsetIsTheEmptyHash(BigInteger offset) {
        assertEquals(Word.fromBytes(Keccak.EMPTY), returned(run(push(0) + push(offset) + "20" + RETURN_TOP)));
    }

    @ParameterizedTest(name = "KECCAK256 of size {0}, or of one byte at {0}, is out of gas")
    @MethodSource("edges")
    void keccakOfAHugeRangeRunsOutOfGas(BigInteger n) {
        assertOutOfGas(run(push(n) + push(0) + "20"));
        assertOutOfGas(run(push(1) + push(n) + "20"));
    }

    // ---- LOG0..LOG4 ----

    private static String log(int topics, BigInteger offset, BigInteger size) {
        return "6001".repeat(topics) + push(size) + push(offset) + Integer.toHexString(0xa0 + topics);
    }

    @ParameterizedTest(name = "LOG0 and LOG4 of nothing at {0} log empty data")
    @MethodSource("edges")
    void logsOfNothingAtAHugeOffsetAreEmitted(BigInteger offset) {
        EvmHarness h = new EvmHarness();
        assertTrue(h.call(log(0, offset, BigInteger.ZERO) + log(4, offset, BigInteger.ZERO), GAS).success());
        assertEquals(2, h.substate.logs().size());
        assertArrayEquals(new byte[0], h.substate.logs().get(1).data());
        assertEquals(4, h.substate.logs().get(1).topics().size());
    }

    @ParameterizedTest(name = "LOG of size {0}, or of one byte at {0}, is out of gas")
    @MethodSource("edges")
    void logsOfAHugeRangeRunOutOfGas(BigInteger n) {
        for (int topics : new int[] {0, 4}) {
            assertOutOfGas(run(log(topics, BigInteger.ZERO, n)));
            assertOutOfGas(run(log(topics, n, BigInteger.ONE)));
        }
    }

    // ---- RETURN, REVERT ----

    @ParameterizedTest(name = "RETURN and REVERT of nothing at {0} are empty")
    @MethodSource("edges")
    void returnAndRevertOfNothingAtAHugeOffsetAreEmpty(BigInteger offset) {
        FrameResult ret = run(push(0) + push(offset) + "f3");
        assertTrue(ret.success());
        assertArrayEquals(new byte[0], ret.output());
        FrameResult rev = run(push(0) + push(offset) + "fd");
        assertEquals(HaltReason.REVERTED, rev.error());
        assertArrayEquals(new byte[0], rev.output());
        assertTrue(rev.gasLeft() > 0, "REVERT keeps the remaining gas");
    }

    @ParameterizedTest(name = "RETURN and REVERT of size {0}, or of one byte at {0}, are out of gas")
    @MethodSource("edges")
    void returnAndRevertOfAHugeRangeRunOutOfGas(BigInteger n) {
        for (String op : List.of("f3", "fd")) {
            assertOutOfGas(run(push(n) + push(0) + op));
            assertOutOfGas(run(push(1) + push(n) + op));
        }
    }

    // ---- MLOAD, MSTORE, MSTORE8 ----

    @ParameterizedTest(name = "MLOAD, MSTORE and MSTORE8 at {0} are out of gas")
    @MethodSource("edges")
    void memoryAccessAtAHugeOffsetRunsOutOfGas(BigInteger offset) {
        assertOutOfGas(run(push(offset) + "51"));
        assertOutOfGas(run(push(1) + push(offset) + "52"));
        assertOutOfGas(run(push(1) + push(offset) + "53"));
    }

    // ---- CALL, CALLCODE, DELEGATECALL, STATICCALL ----

    static Stream<Arguments> callsAtEdges() {
        List<Arguments> out = new ArrayList<>();
        for (Named<String> op : List.of(Named.of("CALL", "f1"), Named.of("CALLCODE", "f2"), Named.of("DELEGATECALL", "f4"),
                Named.of("STATICCALL", "fa"))) {
            edges().forEach(e -> out.add(Arguments.of(op, e)));
        }
        return out.stream();
    }

    /** opcode(gas 100000, CALLEE, [value 0,] in, out). */
    private static String call(String opcode, BigInteger inOff, BigInteger inLen, BigInteger outOff, BigInteger outLen) {
        boolean value = opcode.equals("f1") || opcode.equals("f2");
        return push(outLen) + push(outOff) + push(inLen) + push(inOff) + (value ? "6000" : "") + "61cafe" + "620186a0" + opcode;
    }

    @ParameterizedTest(name = "{0} with empty regions at {1} succeeds")
    @MethodSource("callsAtEdges")
    void callsIgnoreHugeOffsetsOfEmptyRegions(String opcode, BigInteger offset) {
        FrameResult r = run(call(opcode, offset, BigInteger.ZERO, offset, BigInteger.ZERO) + "59" + "01" + RETURN_TOP);
        assertEquals(Word.ONE, returned(r), "success flag 1 plus MSIZE 0");
    }

    @ParameterizedTest(name = "{0} with an input or output region of size {1}, or at {1}, is out of gas")
    @MethodSource("callsAtEdges")
    void callsWithAHugeRegionRunOutOfGas(String opcode, BigInteger n) {
        BigInteger zero = BigInteger.ZERO, one = BigInteger.ONE;
        assertOutOfGas(run(call(opcode, zero, n, zero, zero)));
        assertOutOfGas(run(call(opcode, zero, zero, zero, n)));
        assertOutOfGas(run(call(opcode, n, one, zero, zero)));
        assertOutOfGas(run(call(opcode, zero, zero, n, one)));
    }

    // ---- CREATE, CREATE2 ----

    static Stream<Arguments> createsAtEdges() {
        List<Arguments> out = new ArrayList<>();
        for (Named<String> op : List.of(Named.of("CREATE", "f0"), Named.of("CREATE2", "f5"))) {
            edges().forEach(e -> out.add(Arguments.of(op, e)));
        }
        return out.stream();
    }

    private static String create(String opcode, BigInteger offset, BigInteger size) {
        return (opcode.equals("f5") ? "6000" : "") + push(size) + push(offset) + "6000" + opcode;
    }

    @ParameterizedTest(name = "{0} of empty init code at {1} creates an account")
    @MethodSource("createsAtEdges")
    void createOfEmptyInitCodeAtAHugeOffsetSucceeds(String opcode, BigInteger offset) {
        EvmHarness h = new EvmHarness();
        Word created = returned(h.call(create(opcode, offset, BigInteger.ZERO) + RETURN_TOP, GAS));
        assertNotEquals(Word.ZERO, created);
        Account acc = h.world.account(Address.fromLimbs(created.l0(), created.l1(), created.l2()));
        assertEquals(1, acc.nonce());
        assertEquals(0, acc.code().length);
    }

    @ParameterizedTest(name = "{0} of init code of size {1}, or at {1}, is out of gas")
    @MethodSource("createsAtEdges")
    void createOfAHugeInitCodeRangeRunsOutOfGas(String opcode, BigInteger n) {
        assertOutOfGas(run(create(opcode, BigInteger.ZERO, n)));
        assertOutOfGas(run(create(opcode, n, BigInteger.ONE)));
    }

    // ---- BLOCKHASH, BLOBHASH, JUMP, JUMPI ----

    @ParameterizedTest(name = "BLOCKHASH and BLOBHASH of {0} are zero")
    @MethodSource("edges")
    void blockhashAndBlobhashOfHugeNumbersAreZero(BigInteger n) {
        assertEquals(Word.ZERO, returned(run(push(n) + "40" + RETURN_TOP)));
        assertEquals(Word.ZERO, returned(run(push(n) + "49" + RETURN_TOP)));
    }

    @Test
    void blockhashStillAnswersForTheLast256Blocks() {
        // the harness is at block 100 and names block n's hash n + 1000
        assertEquals(Word.of(1099), returned(run(push(99) + "40" + RETURN_TOP)));
        assertEquals(Word.ZERO, returned(run(push(100) + "40" + RETURN_TOP)));
    }

    @ParameterizedTest(name = "JUMP and JUMPI to {0} are invalid jumps")
    @MethodSource("edges")
    void jumpsToHugeDestinationsAreInvalid(BigInteger dest) {
        for (String code : List.of(push(dest) + "56", "6001" + push(dest) + "57")) {
            FrameResult r = run(code);
            assertEquals(HaltReason.INVALID_JUMP, r.error());
            assertEquals(0, r.gasLeft());
        }
    }

    // ---- BYTE, SHL, SHR, SAR, SIGNEXTEND ----

    @ParameterizedTest(name = "bit and byte positions at {0}")
    @MethodSource("edges")
    void hugePositionsShiftEverythingOut(BigInteger n) {
        String x = push(new BigInteger("8000000000000000000000000000000000000000000000000000000000000001", 16));
        assertEquals(Word.ZERO, returned(run(x + push(n) + "1a" + RETURN_TOP)), "BYTE");
        assertEquals(Word.ZERO, returned(run(x + push(n) + "1b" + RETURN_TOP)), "SHL");
        assertEquals(Word.ZERO, returned(run(x + push(n) + "1c" + RETURN_TOP)), "SHR");
        assertEquals(Word.fromHex("0x" + FF32), returned(run(x + push(n) + "1d" + RETURN_TOP)), "SAR of a negative value");
        assertEquals(Word.fromHex("0x8000000000000000000000000000000000000000000000000000000000000001"),
                returned(run(x + push(n) + "0b" + RETURN_TOP)), "SIGNEXTEND leaves the value");
    }

    // ---- Memory and Frame helpers directly ----

    @Test
    void memoryPricesHugeRangesAsUnpayable() {
        Memory m = new Memory();
        for (long v : new long[] {1L << 32, Long.MAX_VALUE - 31, Long.MAX_VALUE, Long.MIN_VALUE, -1L}) {
            assertEquals(Long.MAX_VALUE, m.expansionCost(v, 1), "offset " + Long.toUnsignedString(v));
            assertEquals(Long.MAX_VALUE, m.expansionCost(0, v), "size " + Long.toUnsignedString(v));
            assertEquals(0, m.expansionCost(v, 0), "an empty range costs nothing");
        }
        // within LIMIT but beyond what a Java array holds
        assertEquals(Long.MAX_VALUE, m.expansionCost(Memory.LIMIT, Memory.LIMIT));
        assertEquals(Long.MAX_VALUE, m.expansionCost(0, 1L << 31));
        assertEquals(3, m.expansionCost(0, 32));
    }

    @Test
    void paddedWritesFromHugeSourceOffsetsWriteZeros() {
        Memory m = new Memory();
        m.expand(0, 64);
        java.util.Arrays.fill(m.raw(), 0, 64, (byte) 0xff);
        byte[] src = Hex.decode(FF32);
        for (long off : new long[] {32, 1L << 31, 1L << 32, Long.MAX_VALUE - 31, Long.MAX_VALUE}) {
            m.writePadded(0, src, off, 64);
            assertArrayEquals(new byte[64], m.read(0, 64));
        }
    }

    @Test
    void loadsFromHugeOffsetsAreZero() {
        long[] s = new long[4];
        byte[] src = Hex.decode(FF32);
        for (long off : new long[] {32, Integer.MAX_VALUE, 1L << 32, 0x7fffffffffffffe0L, Long.MAX_VALUE - 5, Long.MAX_VALUE}) {
            java.util.Arrays.fill(s, -1L);
            Frame.load(s, 0, src, off);
            assertArrayEquals(new long[4], s, "offset " + off);
        }
        Frame.load(s, 0, src, 31);
        assertArrayEquals(new long[] {0, 0, 0, 0xffL << 56}, s, "one byte left, then zeros");
    }
}
