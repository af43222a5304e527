package io.flotilla.evm.crypto;

import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Optional;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECAlgorithms;
import org.bouncycastle.math.ec.ECPoint;

/** secp256k1 public-key recovery and key-to-address derivation. */
public final class Secp256k1 {
    private static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256k1");
    public static final BigInteger N = CURVE.getN();

    private Secp256k1() {
    }

    /** The address for a private key (keccak of the uncompressed public key, last 20 bytes). */
    public static Address addressOf(BigInteger privateKey) {
        ECPoint q = CURVE.getG().multiply(privateKey).normalize();
        return addressOfPoint(q);
    }

    private static Address addressOfPoint(ECPoint q) {
        byte[] enc = q.getEncoded(false);
        byte[] h = Keccak.hash(enc, 1, 64);
        return Address.of(Arrays.copyOfRange(h, 12, 32));
    }

    /**
     * Recovers the signer of a 32-byte message hash. {@code recId} is 0 or 1 (y parity). Empty when the signature is
     * invalid. By libsecp256k1 ({@link NativeSecp256k1}) where it loads, else by Bouncy Castle: what the node uses for
     * transaction senders, votes and handshakes.
     */
    public static Optional<Address> recover(byte[] hash, int recId, BigInteger r, BigInteger s) {
        return NativeSecp256k1.available() ? recoverNative(hash, recId, r, s) : recoverReference(hash, recId, r, s);
    }

    /**
     * The ECRECOVER precompile's recovery, which an attacker can call in a hot loop: libsecp256k1 where it loads,
     * else {@link #recoverWithLimbs}.
     */
    public static Optional<Address> recoverInEvm(byte[] hash, int recId, BigInteger r, BigInteger s) {
        return NativeSecp256k1.available() ? recoverNative(hash, recId, r, s) : recoverWithLimbs(hash, recId, r, s);
    }

    /** Whether {@link #recover} runs libsecp256k1 (else Bouncy Castle). */
    public static boolean nativeRecovery() {
        return NativeSecp256k1.available();
    }

    /**
     * The same result as {@link #recover}, computed by {@link Secp256k1Recovery} (own limb arithmetic, GLV): about
     * 30% faster than Bouncy Castle once compiled by C2; the precompile's fallback where libsecp256k1 does not load.
     */
    public static Optional<Address> recoverWithLimbs(byte[] hash, int recId, BigInteger r, BigInteger s) {
        if (recId < 0 || recId > 1) return Optional.empty();
        if (r.signum() <= 0 || r.compareTo(N) >= 0 || s.signum() <= 0 || s.compareTo(N) >= 0) return Optional.empty();
        byte[] pub = Secp256k1Recovery.recover(hash, recId, r, s);
        if (pub == null) return Optional.empty();
        byte[] h = Keccak.hash(pub, 0, 64);
        return Optional.of(Address.of(Arrays.copyOfRange(h, 12, 32)));
    }

    static Optional<Address> recoverNative(byte[] hash, int recId, BigInteger r, BigInteger s) {
        if (hash.length != 32) return recoverReference(hash, recId, r, s); // not a hash: callers always pass 32 bytes
        if (recId < 0 || recId > 1) return Optional.empty();
        if (r.signum() <= 0 || r.compareTo(N) >= 0 || s.signum() <= 0 || s.compareTo(N) >= 0) return Optional.empty();
        byte[] rs = new byte[64];
        putWord(r, rs, 0);
        putWord(s, rs, 32);
        byte[] pub = NativeSecp256k1.recover(hash, rs, recId);
        if (pub == null) return Optional.empty();
        byte[] h = Keccak.hash(pub, 0, 64);
        return Optional.of(Address.of(Arrays.copyOfRange(h, 12, 32)));
    }

    private static void putWord(BigInteger v, byte[] out, int offset) {
        byte[] b = v.toByteArray(); // at most 33 bytes: v < N < 2^256
        int copy = Math.min(32, b.length);
        System.arraycopy(b, b.length - copy, out, offset + 32 - copy, copy);
    }

    /** Bouncy Castle's recovery: {@link #recover}, and the reference the limb implementation is tested against. */
    static Optional<Address> recoverReference(byte[] hash, int recId, BigInteger r, BigInteger s) {
        if (recId < 0 || recId > 1) return Optional.empty();
        if (r.signum() <= 0 || r.compareTo(N) >= 0 || s.signum() <= 0 || s.compareTo(N) >= 0) return Optional.empty();
        ECPoint rPoint;
        try {
            byte[] enc = new byte[33];
            enc[0] = (byte) (recId == 1 ? 3 : 2);
            byte[] x = r.toByteArray();
            int copy = Math.min(32, x.length);
            System.arraycopy(x, x.length - copy, enc, 33 - copy, copy);
            rPoint = CURVE.getCurve().decodePoint(enc);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        BigInteger e = new BigInteger(1, hash);
        BigInteger rInv = r.modInverse(N);
        BigInteger u1 = e.negate().multiply(rInv).mod(N);
        BigInteger u2 = s.multiply(rInv).mod(N);
        ECPoint q = ECAlgorithms.sumOfTwoMultiplies(CURVE.getG(), u1, rPoint, u2).normalize();
        if (q.isInfinity()) return Optional.empty();
        return Optional.of(addressOfPoint(q));
    }
}
