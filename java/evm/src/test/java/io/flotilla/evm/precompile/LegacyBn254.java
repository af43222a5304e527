package io.flotilla.evm.precompile;

import java.math.BigInteger;

/** The former BigInteger implementation, kept as a reference for differential tests. alt_bn128 (BN254) G1 arithmetic in affine coordinates; null represents the point at infinity. */
final class LegacyBn254 {
    static final BigInteger P = new BigInteger("21888242871839275222246405745257275088696311157297823662689037894645226208583");
    static final BigInteger N = new BigInteger("21888242871839275222246405745257275088548364400416034343698204186575808495617");
    private static final BigInteger THREE = BigInteger.valueOf(3);

    private LegacyBn254() {
    }

    record G1(BigInteger x, BigInteger y) {
    }

    /** Parses 64 bytes; throws IllegalArgumentException when the point is invalid. Returns null for (0,0). */
    static G1 decodeG1(byte[] in, int off) {
        BigInteger x = new BigInteger(1, java.util.Arrays.copyOfRange(in, off, off + 32));
        BigInteger y = new BigInteger(1, java.util.Arrays.copyOfRange(in, off + 32, off + 64));
        if (x.compareTo(P) >= 0 || y.compareTo(P) >= 0) throw new IllegalArgumentException("coordinate >= p");
        if (x.signum() == 0 && y.signum() == 0) return null;
        if (!y.multiply(y).subtract(x.pow(3)).subtract(THREE).mod(P).equals(BigInteger.ZERO)) {
            throw new IllegalArgumentException("not on curve");
        }
        return new G1(x, y);
    }

    static byte[] encodeG1(G1 p) {
        byte[] out = new byte[64];
        if (p == null) return out;
        put(out, 0, p.x());
        put(out, 32, p.y());
        return out;
    }

    static void put(byte[] out, int off, BigInteger v) {
        byte[] b = v.toByteArray();
        int n = Math.min(b.length, 32);
        System.arraycopy(b, b.length - n, out, off + 32 - n, n);
    }

    static G1 add(G1 a, G1 b) {
        if (a == null) return b;
        if (b == null) return a;
        BigInteger lambda;
        if (a.x().equals(b.x())) {
            if (a.y().add(b.y()).mod(P).signum() == 0) return null;
            lambda = a.x().pow(2).multiply(THREE).multiply(a.y().shiftLeft(1).modInverse(P)).mod(P);
        } else {
            lambda = b.y().subtract(a.y()).multiply(b.x().subtract(a.x()).modInverse(P)).mod(P);
        }
        BigInteger x = lambda.pow(2).subtract(a.x()).subtract(b.x()).mod(P);
        BigInteger y = lambda.multiply(a.x().subtract(x)).subtract(a.y()).mod(P);
        return new G1(x, y);
    }

    static G1 mul(G1 p, BigInteger k) {
        G1 r = null;
        for (int i = k.bitLength() - 1; i >= 0; i--) {
            r = add(r, r);
            if (k.testBit(i)) r = add(r, p);
        }
        return r;
    }
}
