package io.flotilla.evm.precompile;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * 0x0a: EIP-4844 KZG point evaluation. Checks that the commitment matches the versioned hash and that the
 * proof shows p(z) = y (C-KZG-4844, see {@link Kzg}); returns FIELD_ELEMENTS_PER_BLOB ++ BLS_MODULUS.
 */
final class PointEvaluation implements Precompile {
    /** BLS_MODULUS, the order of the BLS12-381 groups. */
    static final BigInteger BLS_MODULUS =
            new BigInteger("52435875175126190479447740508185965837690552500527637822603658699938581184513");
    private static final byte[] OUTPUT = output();

    // The KZG library and trusted setup load on the first call (about 2 s of CPU, mostly C-KZG's precomputation, and
    // its native memory): most chains never call this precompile, and a node runs up to 128 subnodes. Loading them
    // eagerly at start-up cost every subnode those 2 s while it was catching up with its first load.

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
        if (!Arrays.equals(hash, 0, 32, in, 0, 32)) return null;
        byte[] z = Arrays.copyOfRange(in, 32, 64);
        byte[] y = Arrays.copyOfRange(in, 64, 96);
        // The library also rejects them (non-canonical field elements); checked here so that it never has to.
        if (new BigInteger(1, z).compareTo(BLS_MODULUS) >= 0 || new BigInteger(1, y).compareTo(BLS_MODULUS) >= 0) return null;
        if (!Kzg.verifyProof(commitment, z, y, Arrays.copyOfRange(in, 144, 192))) return null;
        return OUTPUT.clone();
    }

    private static byte[] output() {
        byte[] out = new byte[64];
        out[30] = (byte) (Kzg.FIELD_ELEMENTS_PER_BLOB >> 8);
        out[31] = (byte) Kzg.FIELD_ELEMENTS_PER_BLOB;
        byte[] r = BLS_MODULUS.toByteArray();
        System.arraycopy(r, r.length - 32, out, 32, 32);
        return out;
    }

    static byte[] sha256(byte[] in) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(in);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK ships SHA-256", e);
        }
    }
}
