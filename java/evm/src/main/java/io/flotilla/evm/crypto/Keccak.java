package io.flotilla.evm.crypto;

import org.bouncycastle.crypto.digests.KeccakDigest;

/** Keccak-256 (the pre-standard SHA-3 variant Ethereum uses). */
public final class Keccak {
    public static final byte[] EMPTY = hash(new byte[0]);

    private Keccak() {
    }

    public static byte[] hash(byte[] in) {
        return hash(in, 0, in.length);
    }

    public static byte[] hash(byte[] in, int off, int len) {
        KeccakDigest d = new KeccakDigest(256);
        d.update(in, off, len);
        byte[] out = new byte[32];
        d.doFinal(out, 0);
        return out;
    }
}
