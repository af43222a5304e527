package io.flotilla.evm.precompile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** BLS12-381 decoding and pairings, and the 0x0a point-evaluation precompile on a self-built proof. */
class KzgPointEvaluationTest {
    private static final Precompile POINT_EVALUATION = Precompiles.cancun().get(Address.precompile(10));

    /** ZCash compressed encoding of a G1 point. */
    private static byte[] compress(Bls12381.G1 p) {
        byte[] out = new byte[48];
        if (p == null) {
            out[0] = (byte) 0xC0;
            return out;
        }
        byte[] x = p.x().toByteArray();
        int n = Math.min(48, x.length);
        System.arraycopy(x, x.length - n, out, 48 - n, n);
        out[0] |= (byte) 0x80;
        if (p.y().compareTo(Bls12381.P.subtract(BigInteger.ONE).shiftRight(1)) > 0) out[0] |= 0x20;
        return out;
    }

    private static byte[] word(BigInteger v) {
        byte[] out = new byte[32];
        byte[] b = v.toByteArray();
        int n = Math.min(32, b.length);
        System.arraycopy(b, b.length - n, out, 32 - n, n);
        return out;
    }

    /**
     * For the constant polynomial p(X) = c the commitment is c·G1 (Lagrange weights sum to one) and the
     * quotient (p(X) - c)/(X - z) is zero, so the proof is the point at infinity for every z.
     */
    private static byte[] constantPolynomialInput(long c, long z, long claimedY) {
        byte[] commitment = compress(Bls12381.mul(Bls12381.G1_GENERATOR, BigInteger.valueOf(c)));
        byte[] versioned = PointEvaluation.sha256(commitment);
        versioned[0] = 0x01;
        byte[] in = new byte[192];
        System.arraycopy(versioned, 0, in, 0, 32);
        System.arraycopy(word(BigInteger.valueOf(z)), 0, in, 32, 32);
        System.arraycopy(word(BigInteger.valueOf(claimedY)), 0, in, 64, 32);
        System.arraycopy(commitment, 0, in, 96, 48);
        System.arraycopy(compress(null), 0, in, 144, 48);
        return in;
    }

    @Test
    void generatorsDecodeIntoTheirPrimeOrderGroups() {
        assertNull(Bls12381.mul(Bls12381.G1_GENERATOR, Bls12381.R));
        assertNull(Bls12381.mul(Bls12381.G2_GENERATOR, Bls12381.R));
        assertArrayEquals(compress(Bls12381.G1_GENERATOR), compress(Bls12381.decodeG1(compress(Bls12381.G1_GENERATOR))));
    }

    @Test
    void rejectsMalformedG1Encodings() {
        byte[] uncompressedFlag = compress(Bls12381.G1_GENERATOR);
        uncompressedFlag[0] &= 0x7F;
        assertThrows(IllegalArgumentException.class, () -> Bls12381.decodeG1(uncompressedFlag));
        byte[] infinityWithSign = compress(null);
        infinityWithSign[0] |= 0x20;
        assertThrows(IllegalArgumentException.class, () -> Bls12381.decodeG1(infinityWithSign));
    }

    @Test
    void pairingIsBilinearAndNonDegenerate() {
        Bls12381.G1 g = Bls12381.G1_GENERATOR;
        Bls12381.G2 h = Bls12381.G2_GENERATOR;
        assertFalse(Bls12381.pairingProductIsOne(new Bls12381.G1[] {g}, new Bls12381.G2[] {h}));
        // e(3g, h) · e(-g, 3h) = 1
        assertTrue(Bls12381.pairingProductIsOne(
                new Bls12381.G1[] {Bls12381.mul(g, BigInteger.valueOf(3)), g.neg()},
                new Bls12381.G2[] {h, Bls12381.mul(h, BigInteger.valueOf(3))}));
    }

    @Test
    void acceptsAValidProofAndReturnsBlobConstants() {
        byte[] out = POINT_EVALUATION.run(constantPolynomialInput(7, 12345, 7));
        byte[] expected = new byte[64];
        expected[30] = 0x10; // 4096
        System.arraycopy(word(Bls12381.R), 0, expected, 32, 32);
        assertArrayEquals(expected, out);
    }

    @Test
    void rejectsWrongValueWrongHashAndWrongLength() {
        assertNull(POINT_EVALUATION.run(constantPolynomialInput(7, 12345, 8)));
        byte[] badHash = constantPolynomialInput(7, 1, 7);
        badHash[5] ^= 1;
        assertNull(POINT_EVALUATION.run(badHash));
        assertNull(POINT_EVALUATION.run(Arrays.copyOf(constantPolynomialInput(7, 1, 7), 191)));
    }
}
