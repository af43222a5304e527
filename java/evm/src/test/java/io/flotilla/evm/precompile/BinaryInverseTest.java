package io.flotilla.evm.precompile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.crypto.BinaryInverse;
import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The batched binary-GCD inverse against BigInteger.modInverse for the moduli it serves and edge values. */
class BinaryInverseTest {
    private static final BigInteger[] MODULI = {
        Bn254Fp.P_BIG,
        Bn254.N,
        new BigInteger("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f", 16), // secp256k1 p
        new BigInteger("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16), // secp256k1 n
        BigInteger.ONE.shiftLeft(256).subtract(BigInteger.valueOf(189)), // a prime just below 2^256
        BigInteger.valueOf(1000003),
    };

    private static long[] limbs(BigInteger v) {
        long[] r = new long[4];
        for (int i = 0; i < 4; i++) r[i] = v.shiftRight(64 * i).longValue();
        return r;
    }

    private static BigInteger big(long[] r) {
        BigInteger v = BigInteger.ZERO;
        for (int i = 3; i >= 0; i--) v = v.shiftLeft(64).or(new BigInteger(Long.toUnsignedString(r[i])));
        return v;
    }

    @Test
    void matchesBigInteger() {
        Random rnd = new Random(31);
        for (BigInteger m : MODULI) {
            BinaryInverse inv = new BinaryInverse(m);
            int bits = m.bitLength();
            for (int i = 0; i < 20000; i++) {
                BigInteger x;
                switch (i % 10) {
                    case 0 -> x = BigInteger.valueOf(1 + i / 10 % 1000);
                    case 1 -> x = m.subtract(BigInteger.valueOf(1 + i / 10 % 1000));
                    case 2 -> x = BigInteger.ONE.shiftLeft(rnd.nextInt(bits)).mod(m);
                    case 3 -> x = new BigInteger(1 + rnd.nextInt(bits), rnd).mod(m);
                    case 4 -> x = m.shiftRight(1 + rnd.nextInt(8)).add(BigInteger.valueOf(rnd.nextInt(3)));
                    default -> x = new BigInteger(bits + 8, rnd).mod(m);
                }
                if (x.signum() == 0) x = BigInteger.TWO;
                long[] r = new long[4];
                assertTrue(inv.inverse(r, 0, limbs(x), 0), x.toString(16));
                assertEquals(x.modInverse(m), big(r), () -> "m " + m.toString(16));
            }
            assertFalse(inv.inverse(new long[4], 0, new long[4], 0));
        }
        // not invertible: a shared factor
        BinaryInverse comp = new BinaryInverse(BigInteger.valueOf(3 * 1000003));
        assertFalse(comp.inverse(new long[4], 0, limbs(BigInteger.valueOf(3 * 17)), 0));
    }
}
