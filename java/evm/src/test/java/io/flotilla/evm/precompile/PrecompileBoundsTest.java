package io.flotilla.evm.precompile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Precompiles given lengths and inputs at the edges: MODEXP's three 256-bit length fields near 2^31, 2^32,
 * 2^63, 2^64 and 2^256, and every other precompile given inputs that are empty, short, odd-sized or large.
 * Each either prices the input (never overflowing) and answers, or fails the call; none throws.
 */
class PrecompileBoundsTest {
    private static final Precompiles P = Precompiles.cancun();
    private static final BigInteger ONE = BigInteger.ONE;

    private static Precompile at(int n) {
        return P.get(Address.precompile(n));
    }

    static BigInteger pow2(int n) {
        return ONE.shiftLeft(n);
    }

    static Stream<Named<BigInteger>> edges() {
        return Stream.of(
                Named.of("2^31-1", pow2(31).subtract(ONE)),
                Named.of("2^31", pow2(31)),
                Named.of("2^32-1", pow2(32).subtract(ONE)),
                Named.of("2^32", pow2(32)),
                Named.of("2^63-96 (96 + it = 2^63)", pow2(63).subtract(BigInteger.valueOf(96))),
                Named.of("2^63-1", pow2(63).subtract(ONE)),
                Named.of("2^63", pow2(63)),
                Named.of("2^64-1", pow2(64).subtract(ONE)),
                Named.of("2^64", pow2(64)),
                Named.of("2^256-96 (96 + it = 2^256)", pow2(256).subtract(BigInteger.valueOf(96))),
                Named.of("2^256-1", pow2(256).subtract(ONE)));
    }

    /** The 96-byte MODEXP header followed by body bytes. */
    static byte[] modexpInput(BigInteger baseLen, BigInteger expLen, BigInteger modLen, String body) {
        return Hex.decode(String.format("0x%064x%064x%064x", baseLen, expLen, modLen) + body);
    }

    /**
     * EIP-2565 as written: max(200, floor(ceil(max(Lb, Lm) / 8)^2 * max(1, iterations) / 3)) with iterations
     * 8 * (Le - 32) + (bit length of the exponent's head - 1) for Le > 32; here the head is zero. Prices beyond
     * 63 bits read as Long.MAX_VALUE, which a call can never pay.
     */
    static long eip2565(BigInteger baseLen, BigInteger expLen, BigInteger modLen) {
        BigInteger words = baseLen.max(modLen).add(BigInteger.valueOf(7)).shiftRight(3);
        BigInteger iterations = expLen.compareTo(BigInteger.valueOf(32)) > 0
                ? expLen.subtract(BigInteger.valueOf(32)).shiftLeft(3) : BigInteger.ZERO;
        BigInteger gas = words.multiply(words).multiply(iterations.max(ONE)).divide(BigInteger.valueOf(3)).max(BigInteger.valueOf(200));
        return gas.compareTo(BigInteger.valueOf(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : gas.longValueExact();
    }

    private static void assertModexpPrice(BigInteger b, BigInteger e, BigInteger m) {
        long expected = m.compareTo(BigInteger.valueOf(ModExp.MAX_MODULUS_LENGTH)) > 0 ? Long.MAX_VALUE : eip2565(b, e, m);
        assertEquals(expected, at(5).gas(modexpInput(b, e, m, "")));
    }

    @ParameterizedTest(name = "MODEXP with one length at {0} is priced by EIP-2565")
    @MethodSource("edges")
    void modexpPricesHugeLengthsWithoutOverflow(BigInteger n) {
        BigInteger zero = BigInteger.ZERO;
        assertModexpPrice(n, zero, zero);
        assertModexpPrice(n, ONE, ONE);
        assertModexpPrice(zero, n, zero);
        assertModexpPrice(zero, n, ONE);
        assertModexpPrice(ONE, n, ONE);
        // a modulus longer than 128 MiB (price above 9 * 10^13 gas) is priced as unpayable
        assertModexpPrice(zero, zero, n);
        assertModexpPrice(n, n, n);
    }

    @Test
    void modexpPricesAtTheEdgesAsTheEipSays() {
        // base and modulus of 2^31-1 bytes: 2^28 words, 2^56 / 3
        assertEquals(24019198012642645L, at(5).gas(modexpInput(pow2(31).subtract(ONE), ONE, ONE, "")));
        // an exponent of 2^32 bytes with a one-byte modulus: 8 * (2^32 - 32) / 3
        assertEquals(11453246037L, at(5).gas(modexpInput(ONE, pow2(32), ONE, "")));
        // no base and no modulus: complexity 0, so the minimum whatever the exponent length
        assertEquals(200, at(5).gas(modexpInput(BigInteger.ZERO, pow2(256).subtract(ONE), BigInteger.ZERO, "")));
        // the exponent's head is read at 96 + base length: 2^63 here, past the input (zero), not a wrapped offset
        assertEquals(Long.MAX_VALUE, at(5).gas(modexpInput(pow2(63).subtract(BigInteger.valueOf(96)), ONE, ONE, "ff".repeat(64))));
        // with a short base the head is the byte after it: 0xff has 8 bits, 7 iterations, 1 * 7 / 3 < 200
        assertEquals(200, at(5).gas(modexpInput(ONE, ONE, ONE, "02ff05")));
    }

    @ParameterizedTest(name = "MODEXP run with one length at {0}")
    @MethodSource("edges")
    void modexpRunsWithHugeLengths(BigInteger n) {
        BigInteger zero = BigInteger.ZERO;
        // no modulus bytes: the output is empty whatever the other lengths
        assertArrayEquals(new byte[0], at(5).run(modexpInput(n, n, zero, "0203")));
        // the modulus starts past the end of the input, so it is zero and so is the one-byte output
        assertArrayEquals(new byte[1], at(5).run(modexpInput(n, ONE, ONE, "0203")));
        assertArrayEquals(new byte[1], at(5).run(modexpInput(ONE, n, ONE, "0203")));
        // a modulus length only a call with more than 9 * 10^13 gas could pay for fails the call
        assertNull(at(5).run(modexpInput(ONE, ONE, n, "020305")));
    }

    @Test
    void modexpReadsOperandsZeroPaddedOnTheRight() {
        // base 2, exponent 5, a two-byte modulus of which only 0x07 is present: 0x0700 = 1792; 2^5 mod 1792 = 32
        assertEquals("0x0020", Hex.encode(at(5).run(modexpInput(ONE, ONE, BigInteger.TWO, "020507"))));
        // the exponent 0x05 is two bytes here, 0x0500 = 1280, and the modulus lies past the input: zero
        assertEquals("0x00", Hex.encode(at(5).run(modexpInput(ONE, BigInteger.TWO, ONE, "0205"))));
    }

    // ---- the other precompiles on empty, short, odd-sized and large inputs ----

    static Stream<Named<byte[]>> oddInputs() {
        return Stream.of(0, 1, 31, 33, 63, 65, 95, 97, 127, 129, 191, 193, 212, 214, 384, 1 << 20)
                .flatMap(n -> {
                    byte[] ff = new byte[n];
                    Arrays.fill(ff, (byte) 0xff);
                    return Stream.of(Named.of(n + " zero bytes", new byte[n]), Named.of(n + " 0xff bytes", ff));
                });
    }

    @ParameterizedTest(name = "precompiles on {0}")
    @MethodSource("oddInputs")
    void everyPrecompileAnswersOrFailsOnOddInputs(byte[] in) {
        long words = (in.length + 31L) / 32;
        assertEquals(3000, at(1).gas(in));
        assertNotNull(at(1).run(in), "ecrecover returns empty output, never fails");
        assertEquals(60 + 12 * words, at(2).gas(in));
        assertEquals(32, at(2).run(in).length);
        assertEquals(600 + 120 * words, at(3).gas(in));
        assertEquals(32, at(3).run(in).length);
        assertEquals(15 + 3 * words, at(4).gas(in));
        assertArrayEquals(in, at(4).run(in));
        boolean zeros = in.length == 0 || in[0] == 0;
        // zeros are the point at infinity; 0xff..ff is not a field element
        byte[] add = at(6).run(in);
        byte[] mul = at(7).run(in);
        if (zeros) {
            assertArrayEquals(new byte[64], add);
            assertArrayEquals(new byte[64], mul);
        } else {
            assertNull(add);
            assertNull(mul);
        }
        assertEquals(45000 + 34000L * (in.length / 192), at(8).gas(in));
        if (in.length % 192 != 0 || !zeros) assertNull(at(8).run(in));
        else assertEquals(1, at(8).run(in)[31], "pairs of points at infinity multiply to one");
        if (in.length != 213) {
            assertEquals(0, at(9).gas(in));
            assertNull(at(9).run(in));
        }
        assertEquals(50000, at(10).gas(in));
        assertNull(at(10).run(in));
    }

    @Test
    void blake2fPricesTheLargestRoundCountWithoutOverflow() {
        byte[] in = new byte[213];
        in[0] = in[1] = in[2] = in[3] = (byte) 0xff;
        assertEquals(4294967295L, at(9).gas(in), "2^32-1 rounds, one gas each");
        in[212] = 2;
        assertNull(at(9).run(in), "an invalid final flag fails before any round runs");
    }
}
