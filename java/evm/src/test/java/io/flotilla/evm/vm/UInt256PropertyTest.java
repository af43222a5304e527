package io.flotilla.evm.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Limb arithmetic agrees with BigInteger modulo 2^256 on random and edge-case operands. */
class UInt256PropertyTest {
    private static final BigInteger MOD = BigInteger.ONE.shiftLeft(256);
    private static final BigInteger MAX = MOD.subtract(BigInteger.ONE);

    private static BigInteger randomWord(Random rnd) {
        // Mix full-width values with sparse ones so carries and zero limbs both show up.
        BigInteger v = new BigInteger(256, rnd);
        return switch (rnd.nextInt(4)) {
            case 0 -> v;
            case 1 -> v.shiftRight(rnd.nextInt(256));
            case 2 -> MAX.subtract(v.shiftRight(rnd.nextInt(256)));
            default -> BigInteger.ONE.shiftLeft(rnd.nextInt(256));
        };
    }

    private static BigInteger signed(BigInteger v) {
        return v.testBit(255) ? v.subtract(MOD) : v;
    }

    private static BigInteger apply(int op, BigInteger a, BigInteger b) {
        long[] s = new long[8];
        UInt256.fromBig(s, 4, a); // top of stack
        UInt256.fromBig(s, 0, b);
        switch (op) {
            case 0 -> UInt256.add(s, 4, 0);
            case 1 -> UInt256.sub(s, 4, 0);
            case 2 -> UInt256.mul(s, 4, 0);
            case 3 -> UInt256.div(s, 4, 0);
            case 4 -> UInt256.mod(s, 4, 0);
            case 5 -> UInt256.sdiv(s, 4, 0);
            case 6 -> UInt256.smod(s, 4, 0);
            default -> UInt256.exp(s, 4, 0);
        }
        return UInt256.toBig(s, 0).mod(MOD);
    }

    private static BigInteger expected(int op, BigInteger a, BigInteger b) {
        return switch (op) {
            case 0 -> a.add(b).mod(MOD);
            case 1 -> a.subtract(b).mod(MOD);
            case 2 -> a.multiply(b).mod(MOD);
            case 3 -> b.signum() == 0 ? BigInteger.ZERO : a.divide(b);
            case 4 -> b.signum() == 0 ? BigInteger.ZERO : a.mod(b);
            case 5 -> b.signum() == 0 ? BigInteger.ZERO : signed(a).divide(signed(b)).mod(MOD);
            case 6 -> b.signum() == 0 ? BigInteger.ZERO : signed(a).remainder(signed(b)).mod(MOD);
            default -> a.modPow(b, MOD);
        };
    }

    @Test
    void binaryOpsMatchBigInteger() {
        Random rnd = new Random(42);
        for (int i = 0; i < 4000; i++) {
            BigInteger a = randomWord(rnd), b = randomWord(rnd);
            int op = i % 8;
            if (op == 7 && b.bitLength() > 64) b = b.shiftRight(b.bitLength() - 64);
            assertEquals(expected(op, a, b), apply(op, a, b), "op " + op + " a=" + a.toString(16) + " b=" + b.toString(16));
        }
    }

    @Test
    void addmodAndMulmodUseFullWidthIntermediates() {
        Random rnd = new Random(7);
        for (int i = 0; i < 3000; i++) {
            BigInteger a = randomWord(rnd), b = randomWord(rnd), n = randomWord(rnd);
            long[] s = new long[12];
            UInt256.fromBig(s, 8, a);
            UInt256.fromBig(s, 4, b);
            UInt256.fromBig(s, 0, n);
            boolean add = i % 2 == 0;
            if (add) UInt256.addmod(s, 8, 4, 0);
            else UInt256.mulmod(s, 8, 4, 0);
            BigInteger want = n.signum() == 0 ? BigInteger.ZERO : (add ? a.add(b) : a.multiply(b)).mod(n);
            assertEquals(want, UInt256.toBig(s, 0).mod(MOD), (add ? "addmod " : "mulmod ") + a + " " + b + " " + n);
        }
    }

    @Test
    void signedDivisionEdgeCases() {
        BigInteger min = BigInteger.ONE.shiftLeft(255);
        assertEquals(min, apply(5, min, MAX)); // MIN / -1 = MIN
        assertEquals(BigInteger.ZERO, apply(6, min, MAX)); // MIN smod -1 = 0
        assertEquals(MAX, apply(5, MAX, BigInteger.ONE)); // -1 / 1 = -1
    }

    @Test
    void multiplicationOfAllOnes() {
        assertEquals(BigInteger.ONE, apply(2, MAX, MAX)); // (-1)·(-1) = 1
    }
}
