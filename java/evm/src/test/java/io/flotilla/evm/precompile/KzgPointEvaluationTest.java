package io.flotilla.evm.precompile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ethereum.ckzg4844.CKZG4844JNI;
import ethereum.ckzg4844.ProofAndY;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The 0x0a point-evaluation precompile: published, self-built and invalid inputs. */
class KzgPointEvaluationTest {
    private static final Precompile POINT_EVALUATION = Precompiles.cancun().get(Address.precompile(10));
    /** The BLS12-381 G1 generator, compressed. */
    private static final String G1_GENERATOR = "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb";
    private static final String INFINITY = "c0" + "00".repeat(47);

    private static byte[] word(BigInteger v) {
        byte[] out = new byte[32];
        byte[] b = v.toByteArray();
        int n = Math.min(32, b.length);
        System.arraycopy(b, b.length - n, out, 32 - n, n);
        return out;
    }

    private static byte[] input(byte[] commitment, BigInteger z, BigInteger y, byte[] proof) {
        byte[] versioned = PointEvaluation.sha256(commitment);
        versioned[0] = 0x01;
        byte[] in = new byte[192];
        System.arraycopy(versioned, 0, in, 0, 32);
        System.arraycopy(word(z), 0, in, 32, 32);
        System.arraycopy(word(y), 0, in, 64, 32);
        System.arraycopy(commitment, 0, in, 96, 48);
        System.arraycopy(proof, 0, in, 144, 48);
        return in;
    }

    /**
     * For the constant polynomial p(X) = 1 the commitment is G1 (Lagrange weights sum to one) and the quotient
     * (p(X) - 1)/(X - z) is zero, so the proof is the point at infinity for every z.
     */
    private static byte[] constantPolynomialInput(long z, long claimedY) {
        return input(Hex.decode(G1_GENERATOR), BigInteger.valueOf(z), BigInteger.valueOf(claimedY), Hex.decode(INFINITY));
    }

    private static byte[] expectedOutput() {
        byte[] expected = new byte[64];
        expected[30] = 0x10; // 4096
        System.arraycopy(word(PointEvaluation.BLS_MODULUS), 0, expected, 32, 32);
        return expected;
    }

    @Test
    void acceptsValidProofsAndReturnsBlobConstants() {
        assertArrayEquals(expectedOutput(), POINT_EVALUATION.run(constantPolynomialInput(12345, 1)));
        assertArrayEquals(expectedOutput(), POINT_EVALUATION.run(Hex.decode(PrecompileBench.KZG_VALID)));
        assertArrayEquals(Hex.decode("0x000000000000000000000000000000000000000000000000000000000000100073eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001"),
                expectedOutput());
    }

    @Test
    void acceptsAProofOfARandomBlob() {
        Kzg.init();
        Random random = new Random(4844);
        byte[] blob = new byte[CKZG4844JNI.BYTES_PER_BLOB];
        for (int i = 0; i < blob.length; i += 32) {
            byte[] fe = new byte[31];
            random.nextBytes(fe);
            System.arraycopy(fe, 0, blob, i + 1, 31); // high byte zero: below the modulus
        }
        byte[] commitment = CKZG4844JNI.blobToKzgCommitment(blob);
        BigInteger z = new BigInteger(250, random);
        ProofAndY proof = CKZG4844JNI.computeKzgProof(blob, word(z));
        BigInteger y = new BigInteger(1, proof.getY());
        assertArrayEquals(expectedOutput(), POINT_EVALUATION.run(input(commitment, z, y, proof.getProof())));
        assertNull(POINT_EVALUATION.run(input(commitment, z, y.add(BigInteger.ONE), proof.getProof())));
        assertNull(POINT_EVALUATION.run(input(commitment, z.add(BigInteger.ONE), y, proof.getProof())));
    }

    @Test
    void rejectsWrongValueWrongHashAndWrongLength() {
        assertNull(POINT_EVALUATION.run(constantPolynomialInput(12345, 8)));
        byte[] badHash = constantPolynomialInput(1, 1);
        badHash[5] ^= 1;
        assertNull(POINT_EVALUATION.run(badHash));
        byte[] badVersion = constantPolynomialInput(1, 1);
        badVersion[0] = 0x02;
        assertNull(POINT_EVALUATION.run(badVersion));
        assertNull(POINT_EVALUATION.run(Arrays.copyOf(constantPolynomialInput(7, 1), 191)));
        assertNull(POINT_EVALUATION.run(Arrays.copyOf(constantPolynomialInput(7, 1), 193)));
        assertNull(POINT_EVALUATION.run(new byte[0]));
    }

    @Test
    void rejectsFieldElementsOutOfRange() {
        BigInteger r = PointEvaluation.BLS_MODULUS;
        byte[] g = Hex.decode(G1_GENERATOR);
        byte[] inf = Hex.decode(INFINITY);
        // p(X) = 1 takes 1 at z = r as well, were z reduced
        assertNull(POINT_EVALUATION.run(input(g, r, BigInteger.ONE, inf)));
        assertNull(POINT_EVALUATION.run(input(g, BigInteger.ONE, r.add(BigInteger.ONE), inf)));
    }

    @Test
    void rejectsMalformedPoints() {
        byte[] g = Hex.decode(G1_GENERATOR);
        byte[] inf = Hex.decode(INFINITY);
        byte[] uncompressedFlag = g.clone();
        uncompressedFlag[0] &= 0x7F;
        assertNull(POINT_EVALUATION.run(input(uncompressedFlag, BigInteger.ONE, BigInteger.ONE, inf)));
        byte[] infinityWithSign = inf.clone();
        infinityWithSign[0] |= 0x20;
        assertNull(POINT_EVALUATION.run(input(g, BigInteger.ONE, BigInteger.ONE, infinityWithSign)));
        byte[] infinityWithBits = inf.clone();
        infinityWithBits[47] = 1;
        assertNull(POINT_EVALUATION.run(input(g, BigInteger.ONE, BigInteger.ONE, infinityWithBits)));
        byte[] notOnCurve = g.clone();
        notOnCurve[47] ^= 1; // x + 1 (or x - 1): not a curve point or not in the subgroup
        assertNull(POINT_EVALUATION.run(input(notOnCurve, BigInteger.ONE, BigInteger.ONE, inf)));
        byte[] xTooLarge = Hex.decode("9a" + "ff".repeat(47)); // x >= p
        assertNull(POINT_EVALUATION.run(input(xTooLarge, BigInteger.ONE, BigInteger.ONE, inf)));
    }
}
