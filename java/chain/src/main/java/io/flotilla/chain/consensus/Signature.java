package io.flotilla.chain.consensus;

import io.flotilla.evm.crypto.Secp256k1;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/** A recoverable secp256k1 signature: r, s and the y-parity of R (0 or 1). */
public record Signature(BigInteger r, BigInteger s, int recId) {
    public static final int LENGTH = 65;

    public Signature {
        Objects.requireNonNull(r, "r");
        Objects.requireNonNull(s, "s");
    }

    /** The signer of a 32-byte digest; empty for a malformed or high-s (malleable) signature. */
    public Optional<Address> recover(byte[] digest) {
        if (s.compareTo(Secp256k1.N.shiftRight(1)) > 0) return Optional.empty();
        return Secp256k1.recover(digest, recId, r, s);
    }

    /** r (32) || s (32) || recId (1). */
    public byte[] toBytes() {
        byte[] out = new byte[LENGTH];
        put(r, out, 0);
        put(s, out, 32);
        out[64] = (byte) recId;
        return out;
    }

    public static Signature fromBytes(byte[] b) {
        if (b.length != LENGTH) throw new IllegalArgumentException("signature must be 65 bytes");
        return new Signature(new BigInteger(1, Arrays.copyOfRange(b, 0, 32)),
                new BigInteger(1, Arrays.copyOfRange(b, 32, 64)), b[64]);
    }

    private static void put(BigInteger v, byte[] out, int off) {
        byte[] x = v.toByteArray();
        int len = Math.min(32, x.length);
        if (x.length > 33 || (x.length == 33 && x[0] != 0)) throw new IllegalArgumentException("value exceeds 32 bytes");
        System.arraycopy(x, x.length - len, out, off + 32 - len, len);
    }
}
