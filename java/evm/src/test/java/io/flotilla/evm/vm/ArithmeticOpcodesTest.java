package io.flotilla.evm.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** Arithmetic, comparison and bitwise opcodes on 256-bit words. */
class ArithmeticOpcodesTest {
    private static final String MAX = "7f" + "ff".repeat(32); // PUSH32 2^256-1
    private static final String MIN_SIGNED = "7f80" + "00".repeat(31); // PUSH32 -2^255

    private static Word eval(String code) {
        return new EvmHarness().eval(code);
    }

    private static Word w(String hex) {
        return Word.fromHex(hex);
    }

    private static Word pow2(int n) {
        return Word.fromBigInteger(BigInteger.ONE.shiftLeft(n));
    }

    @Test
    void addWrapsAroundAt2Pow256() {
        assertEquals(Word.of(5), eval("6002" + "6003" + "01"));
        assertEquals(Word.ZERO, eval("6001" + MAX + "01"));
    }

    @Test
    void addCarriesAcrossEveryLimb() {
        // (2^192 - 1) + 1 = 2^192
        assertEquals(pow2(192), eval("6001" + "77" + "ff".repeat(24) + "01"));
    }

    @Test
    void subtractsTopMinusSecondAndWraps() {
        assertEquals(Word.of(2), eval("6003" + "6005" + "03"));
        assertEquals(w("0x" + "ff".repeat(32)), eval("6001" + "6000" + "03"));
    }

    @Test
    void subtractionBorrowsAcrossLimbs() {
        // 2^128 - 1
        assertEquals(w("0x" + "ff".repeat(16)), eval("6001" + "70" + "01" + "00".repeat(16) + "03"));
    }

    @Test
    void multipliesModulo2Pow256() {
        assertEquals(Word.of(42), eval("6006" + "6007" + "02"));
        // (2^255) * 2 wraps to 0; (2^128)^2 wraps to 0; (2^64+1)^2 = 2^128 + 2^65 + 1
        assertEquals(Word.ZERO, eval("6002" + MIN_SIGNED + "02"));
        assertEquals(Word.ZERO, eval("70" + "01" + "00".repeat(16) + "80" + "02"));
        assertEquals(Word.fromBigInteger(BigInteger.ONE.shiftLeft(128).add(BigInteger.ONE.shiftLeft(65)).add(BigInteger.ONE)),
                eval("68010000000000000001" + "80" + "02"));
    }

    @Test
    void divisionByZeroIsZero() {
        assertEquals(Word.ZERO, eval("6000" + "6007" + "04"));
        assertEquals(Word.ZERO, eval("6000" + "6007" + "06"));
        assertEquals(Word.ZERO, eval("6000" + "6007" + "05"));
        assertEquals(Word.ZERO, eval("6000" + "6007" + "07"));
    }

    @Test
    void unsignedDivisionAndModulo() {
        assertEquals(Word.of(3), eval("6002" + "6007" + "04"));
        assertEquals(Word.of(1), eval("6002" + "6007" + "06"));
        assertEquals(w("0x" + "55".repeat(32)), eval("6003" + MAX + "04"));
    }

    @Test
    void signedDivisionTruncatesTowardZero() {
        // -7 / 2 = -3
        String minus7 = "6007" + "6000" + "03";
        assertEquals(Word.fromBigInteger(BigInteger.valueOf(-3)), eval("6002" + minus7 + "05"));
        // MIN / -1 overflows to MIN
        assertEquals(w("0x80" + "00".repeat(31)), eval(MAX + MIN_SIGNED + "05"));
    }

    @Test
    void signedModuloTakesTheDividendsSign() {
        String minus7 = "6007" + "6000" + "03";
        assertEquals(Word.fromBigInteger(BigInteger.valueOf(-1)), eval("6002" + minus7 + "07"));
        assertEquals(Word.of(1), eval("6002" + "6000" + "03" + "6007" + "07")); // 7 smod -2 = 1
    }

    @Test
    void addmodAndMulmodUseFullPrecision() {
        // (2^256-1 + 2) mod 3 computed without wrapping = (2^256 + 1) mod 3 = 2
        assertEquals(Word.of(2), eval("6003" + "6002" + MAX + "08"));
        // (2^256-1)^2 mod 7
        BigInteger m = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);
        assertEquals(Word.fromBigInteger(m.multiply(m).mod(BigInteger.valueOf(7))), eval("6007" + MAX + MAX + "09"));
        assertEquals(Word.ZERO, eval("6000" + "6002" + "6003" + "09"));
    }

    @Test
    void exponentiationWraps() {
        assertEquals(Word.of(1024), eval("600a" + "6002" + "0a"));
        assertEquals(Word.ZERO, eval("610100" + "6002" + "0a")); // 2^256
        assertEquals(pow2(255), eval("60ff" + "6002" + "0a"));
        assertEquals(Word.of(1), eval("6000" + "6000" + "0a")); // 0^0 = 1
    }

    @Test
    void signExtendCopiesTheSignBitUpwards() {
        assertEquals(w("0x" + "ff".repeat(32)), eval("60ff" + "6000" + "0b"));
        assertEquals(Word.of(0x7f), eval("607f" + "6000" + "0b"));
        assertEquals(w("0x" + "ff".repeat(30) + "8000"), eval("618000" + "6001" + "0b"));
        assertEquals(Word.of(0xff), eval("60ff" + "6020" + "0b")); // index >= 31 leaves the value
    }

    @Test
    void comparisonsUnsignedAndSigned() {
        assertEquals(Word.ONE, eval("6002" + "6001" + "10")); // 1 < 2
        assertEquals(Word.ZERO, eval("6001" + "6002" + "10"));
        assertEquals(Word.ONE, eval("6001" + MAX + "11")); // MAX > 1 unsigned
        assertEquals(Word.ONE, eval("6001" + MAX + "12")); // -1 < 1 signed
        assertEquals(Word.ZERO, eval("6001" + MAX + "13"));
        assertEquals(Word.ONE, eval("6005" + "6005" + "14"));
        assertEquals(Word.ONE, eval("6000" + "15"));
        assertEquals(Word.ZERO, eval("6009" + "15"));
    }

    @Test
    void bitwiseOps() {
        assertEquals(Word.of(0x0c), eval("600c" + "600f" + "16"));
        assertEquals(Word.of(0x0f), eval("600c" + "6003" + "17"));
        assertEquals(Word.of(0x03), eval("600c" + "600f" + "18"));
        assertEquals(w("0x" + "ff".repeat(31) + "f0"), eval("600f" + "19"));
    }

    @Test
    void byteCountsFromTheMostSignificantEnd() {
        assertEquals(Word.of(0xaa), eval("7faa" + "00".repeat(31) + "6000" + "1a"));
        assertEquals(Word.of(0xbb), eval("60bb" + "601f" + "1a"));
        assertEquals(Word.ZERO, eval("60bb" + "6020" + "1a"));
    }

    @Test
    void shiftsFollowEip145Vectors() {
        assertEquals(Word.of(2), eval("6001" + "6001" + "1b")); // 1 << 1
        assertEquals(w("0x80" + "00".repeat(31)), eval("6001" + "60ff" + "1b"));
        assertEquals(Word.ZERO, eval("6001" + "610100" + "1b"));
        assertEquals(w("0x40" + "00".repeat(31)), eval(MIN_SIGNED + "6001" + "1c"));
        assertEquals(Word.ONE, eval(MIN_SIGNED + "60ff" + "1c"));
        assertEquals(w("0xc0" + "00".repeat(31)), eval(MIN_SIGNED + "6001" + "1d"));
        assertEquals(w("0x" + "ff".repeat(32)), eval(MIN_SIGNED + "610100" + "1d"));
        assertEquals(Word.ONE, eval("7f40" + "00".repeat(31) + "60fe" + "1d"));
        assertEquals(w("0x" + "ff".repeat(16)), eval("70" + "ff".repeat(17) + "6008" + "1c")); // crosses limbs
    }
}
