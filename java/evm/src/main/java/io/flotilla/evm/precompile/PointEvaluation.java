package io.flotilla.evm.precompile;

import io.flotilla.evm.types.Hex;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * 0x0a: EIP-4844 KZG point evaluation. Checks that the commitment matches the versioned hash and
 * that the proof shows p(z) = y: e(C - y·G1, -G2) · e(proof, [τ]G2 - z·G2) = 1.
 */
final class PointEvaluation implements Precompile {
    /** [τ]G2 from the KZG ceremony (the only setup point verification needs), compressed. */
    private static final String SETUP_G2_TAU = "b5bfd7dd8cdeb128843bc287230af38926187075cbfbefa81009a2ce615ac53d"
            + "2914e5870cb452d2afaaab24f3499f72185cbfee53492714734429b7b38608e23926c911cceceac9a36851477ba4c60b"
            + "087041de621000edc98edada20c1def2";
    private static final int FIELD_ELEMENTS_PER_BLOB = 4096;

    /** Decoded on first use (lazy holder): decompression and the subgroup check cost milliseconds. */
    private static final class Setup {
        static final Bls12381.G2 TAU = Bls12381.decodeG2(Hex.decode(SETUP_G2_TAU));
    }

    @Override
    public long gas(byte[] input) {
        return 50000;
    }

    @Override
    public byte[] run(byte[] in) {
        if (in.length != 192) return null;
        byte[] commitment = Arrays.copyOfRange(in, 96, 144);
        byte[] hash = sha256(commitment);
        hash[0] = 0x01;
        if (!Arrays.equals(hash, Arrays.copyOfRange(in, 0, 32))) return null;
        BigInteger z = new BigInteger(1, Arrays.copyOfRange(in, 32, 64));
        BigInteger y = new BigInteger(1, Arrays.copyOfRange(in, 64, 96));
        if (z.compareTo(Bls12381.R) >= 0 || y.compareTo(Bls12381.R) >= 0) return null;
        try {
            Bls12381.G1 c = Bls12381.decodeG1(commitment);
            Bls12381.G1 proof = Bls12381.decodeG1(Arrays.copyOfRange(in, 144, 192));
            if (!verify(c, z, y, proof)) return null;
        } catch (IllegalArgumentException e) {
            return null;
        }
        byte[] out = new byte[64];
        out[30] = (byte) (FIELD_ELEMENTS_PER_BLOB >> 8);
        out[31] = (byte) FIELD_ELEMENTS_PER_BLOB;
        byte[] r = Bls12381.R.toByteArray();
        System.arraycopy(r, r.length - 32, out, 32, 32);
        return out;
    }

    private static boolean verify(Bls12381.G1 commitment, BigInteger z, BigInteger y, Bls12381.G1 proof) {
        Bls12381.G2 xMinusZ = Bls12381.add(Setup.TAU, Bls12381.mul(Bls12381.G2_GENERATOR, Bls12381.R.subtract(z).mod(Bls12381.R)));
        Bls12381.G1 pMinusY = Bls12381.add(commitment, Bls12381.mul(Bls12381.G1_GENERATOR, Bls12381.R.subtract(y).mod(Bls12381.R)));
        return Bls12381.pairingProductIsOne(
                new Bls12381.G1[] {pMinusY, proof},
                new Bls12381.G2[] {Bls12381.G2_GENERATOR.neg(), xMinusZ});
    }

    static byte[] sha256(byte[] in) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(in);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK ships SHA-256", e);
        }
    }
}
