package io.flotilla.evm.precompile;

import java.math.BigInteger;

/**
 * alt_bn128 (BN254) G1: decoding with the EIP-196 checks, affine addition and Jacobian scalar multiplication on
 * {@link Bn254Fp} limbs. A Jacobian point (X, Y, Z) is 12 longs (x = X/Z², y = Y/Z³), the point at infinity has Z = 0.
 */
final class Bn254 {
    static final BigInteger P = Bn254Fp.P_BIG;
    static final BigInteger N = new BigInteger("21888242871839275222246405745257275088548364400416034343698204186575808495617");
    /** b = 3 in Montgomery form. */
    static final long[] B = new long[4];
    private static final int WINDOW = 4;

    static {
        Bn254Fp.set(B, 0, BigInteger.valueOf(3));
    }

    private Bn254() {
    }

    /**
     * Reads the affine point at in[off..off+64) into r[ro..ro+8) (x, y in Montgomery form). Returns false for (0, 0),
     * the point at infinity; throws IllegalArgumentException when a coordinate is not below p or the point is not
     * on y² = x³ + 3.
     */
    static boolean decodeG1(byte[] in, int off, long[] r, int ro) {
        int st = onCurve(in, off, r, ro, new long[8], 0);
        if (st < 0) throw new IllegalArgumentException("invalid G1 point");
        return st > 0;
    }

    /**
     * As decodeG1 without exceptions or allocation (8 longs of scratch at t[to..]): 1 for a point, 0 for (0, 0),
     * -1 for a coordinate not below p or a point not on the curve.
     */
    static int onCurve(byte[] in, int off, long[] r, int ro, long[] t, int to) {
        if (!Bn254Fp.fromBytes(r, ro, in, off) || !Bn254Fp.fromBytes(r, ro + 4, in, off + 32)) return -1;
        if (Bn254Fp.isZero(r, ro) && Bn254Fp.isZero(r, ro + 4)) return 0;
        Bn254Fp.sqr(t, to, r, ro);
        Bn254Fp.mul(t, to, t, to, r, ro);
        Bn254Fp.add(t, to, t, to, B, 0);
        Bn254Fp.sqr(t, to + 4, r, ro + 4);
        return Bn254Fp.equal(t, to, t, to + 4) ? 1 : -1;
    }

    /** 0x06: the sum of the two points in the (zero-padded) 128-byte input, encoded; null when a point is invalid. */
    static byte[] add(byte[] in) {
        // a (0), b (8), t: lambda (16), numerator (20), denominator (24), x3 (28), scratch (32..40)
        long[] w = new long[40];
        int stA = onCurve(in, 0, w, 0, w, 32);
        if (stA < 0) return null;
        int stB = onCurve(in, 64, w, 8, w, 32);
        if (stB < 0) return null;
        if (stA == 0) return java.util.Arrays.copyOfRange(in, 64, 128);
        if (stB == 0) return java.util.Arrays.copyOfRange(in, 0, 64);
        final int A = 0, Bo = 8, T = 16;
        if (Bn254Fp.equal(w, A + 0, w, Bo + 0)) {
            Bn254Fp.add(w, T + 0, w, A + 4, w, Bo + 4);
            if (Bn254Fp.isZero(w, T + 0)) return new byte[64]; // b = -a
            // tangent: λ = 3x²/(2y)
            Bn254Fp.sqr(w, T + 4, w, A + 0);
            Bn254Fp.add(w, T + 0, w, T + 4, w, T + 4);
            Bn254Fp.add(w, T + 4, w, T + 0, w, T + 4);
            Bn254Fp.add(w, T + 8, w, A + 4, w, A + 4);
        } else {
            Bn254Fp.sub(w, T + 4, w, Bo + 4, w, A + 4);
            Bn254Fp.sub(w, T + 8, w, Bo + 0, w, A + 0);
        }
        Bn254Fp.inv(w, T + 8, w, T + 8);
        Bn254Fp.mul(w, T + 0, w, T + 4, w, T + 8);
        // x3 = λ² - x1 - x2, y3 = λ(x1 - x3) - y1
        Bn254Fp.sqr(w, T + 12, w, T + 0);
        Bn254Fp.sub(w, T + 12, w, T + 12, w, A + 0);
        Bn254Fp.sub(w, T + 12, w, T + 12, w, Bo + 0);
        Bn254Fp.sub(w, T + 4, w, A + 0, w, T + 12);
        Bn254Fp.mul(w, T + 4, w, T + 0, w, T + 4);
        Bn254Fp.sub(w, T + 4, w, T + 4, w, A + 4);
        byte[] out = new byte[64];
        Bn254Fp.toBytes(w, T + 12, out, 0, w, 32);
        Bn254Fp.toBytes(w, T + 4, out, 32, w, 32);
        return out;
    }

    /** 0x07: the point in the (zero-padded) 96-byte input times the scalar, encoded; null when the point is invalid. */
    static byte[] mul(byte[] in) {
        long[] p = new long[12];
        try {
            if (!decodeG1(in, 0, p, 0)) return new byte[64];
        } catch (IllegalArgumentException e) {
            return null;
        }
        // Every curve point has order N (cofactor 1), so the scalar can be reduced.
        BigInteger k = new BigInteger(1, java.util.Arrays.copyOfRange(in, 64, 96)).mod(N);
        if (k.signum() == 0) return new byte[64];
        Bn254Fp.setOne(p, 8);
        long[] scratch = new long[4 * 12];
        // table[i] = i·P for i = 1..15 (Jacobian), at offset 12·i
        long[] table = new long[16 * 12];
        System.arraycopy(p, 0, table, 12, 12);
        jacDbl(table, 24, p, 0, scratch);
        for (int i = 3; i < 16; i++) jacAdd(table, 12 * i, table, 12 * (i - 1), p, 0, scratch);
        long[] acc = new long[12]; // infinity
        int top = (k.bitLength() + WINDOW - 1) / WINDOW;
        for (int w = top - 1; w >= 0; w--) {
            for (int j = 0; j < WINDOW; j++) jacDbl(acc, 0, acc, 0, scratch);
            int digit = 0;
            for (int j = WINDOW - 1; j >= 0; j--) digit = (digit << 1) | (k.testBit(w * WINDOW + j) ? 1 : 0);
            if (digit != 0) jacAdd(acc, 0, acc, 0, table, 12 * digit, scratch);
        }
        return encodeJacobian(acc, 0);
    }

    /** The affine encoding of a Jacobian point (64 zero bytes for infinity). */
    static byte[] encodeJacobian(long[] p, int po) {
        byte[] out = new byte[64];
        if (Bn254Fp.isZero(p, po + 8)) return out;
        long[] t = new long[12];
        Bn254Fp.inv(t, 0, p, po + 8); // 1/Z
        Bn254Fp.sqr(t, 4, t, 0); // 1/Z²
        Bn254Fp.mul(t, 0, t, 0, t, 4); // 1/Z³
        Bn254Fp.mul(t, 8, p, po, t, 4);
        Bn254Fp.toBytes(t, 8, out, 0);
        Bn254Fp.mul(t, 8, p, po + 4, t, 0);
        Bn254Fp.toBytes(t, 8, out, 32);
        return out;
    }

    /** r = 2p (dbl-2009-l, a = 0); s is scratch of at least 28 longs. */
    static void jacDbl(long[] r, int ro, long[] p, int po, long[] s) {
        if (Bn254Fp.isZero(p, po + 8)) {
            java.util.Arrays.fill(r, ro, ro + 12, 0L);
            return;
        }
        // A (0), B (4), C (8), D (12), E (16), F (20), Z3 (24)
        Bn254Fp.sqr(s, 0, p, po);
        Bn254Fp.sqr(s, 4, p, po + 4);
        Bn254Fp.sqr(s, 8, s, 4);
        Bn254Fp.add(s, 12, p, po, s, 4);
        Bn254Fp.sqr(s, 12, s, 12);
        Bn254Fp.sub(s, 12, s, 12, s, 0);
        Bn254Fp.sub(s, 12, s, 12, s, 8);
        Bn254Fp.add(s, 12, s, 12, s, 12);
        Bn254Fp.add(s, 16, s, 0, s, 0);
        Bn254Fp.add(s, 16, s, 16, s, 0);
        Bn254Fp.sqr(s, 20, s, 16);
        Bn254Fp.mul(s, 24, p, po + 4, p, po + 8);
        Bn254Fp.add(r, ro + 8, s, 24, s, 24);
        // X3 = F - 2D
        Bn254Fp.sub(s, 20, s, 20, s, 12);
        Bn254Fp.sub(r, ro, s, 20, s, 12);
        // Y3 = E(D - X3) - 8C
        Bn254Fp.sub(s, 12, s, 12, r, ro);
        Bn254Fp.mul(s, 12, s, 16, s, 12);
        Bn254Fp.add(s, 8, s, 8, s, 8);
        Bn254Fp.add(s, 8, s, 8, s, 8);
        Bn254Fp.add(s, 8, s, 8, s, 8);
        Bn254Fp.sub(r, ro + 4, s, 12, s, 8);
    }

    /** r = p + q (add-2007-bl), any inputs including equal, opposite and infinite points; s as for jacDbl. */
    static void jacAdd(long[] r, int ro, long[] p, int po, long[] q, int qo, long[] s) {
        if (Bn254Fp.isZero(p, po + 8)) {
            System.arraycopy(q, qo, r, ro, 12);
            return;
        }
        if (Bn254Fp.isZero(q, qo + 8)) {
            System.arraycopy(p, po, r, ro, 12);
            return;
        }
        // Z1Z1 (0), Z2Z2 (4), U1 (8), U2 (12), S1 (16), S2 (20), H (24), I (28), J (32), rr (36), V (40)
        Bn254Fp.sqr(s, 0, p, po + 8);
        Bn254Fp.sqr(s, 4, q, qo + 8);
        Bn254Fp.mul(s, 8, p, po, s, 4);
        Bn254Fp.mul(s, 12, q, qo, s, 0);
        Bn254Fp.mul(s, 16, p, po + 4, q, qo + 8);
        Bn254Fp.mul(s, 16, s, 16, s, 4);
        Bn254Fp.mul(s, 20, q, qo + 4, p, po + 8);
        Bn254Fp.mul(s, 20, s, 20, s, 0);
        Bn254Fp.sub(s, 24, s, 12, s, 8);
        Bn254Fp.sub(s, 36, s, 20, s, 16);
        if (Bn254Fp.isZero(s, 24)) {
            if (Bn254Fp.isZero(s, 36)) {
                jacDbl(r, ro, p, po, s);
            } else {
                java.util.Arrays.fill(r, ro, ro + 12, 0L);
            }
            return;
        }
        Bn254Fp.add(s, 28, s, 24, s, 24);
        Bn254Fp.sqr(s, 28, s, 28);
        Bn254Fp.mul(s, 32, s, 24, s, 28);
        Bn254Fp.add(s, 36, s, 36, s, 36);
        Bn254Fp.mul(s, 40, s, 8, s, 28);
        // Z3 = ((Z1 + Z2)² - Z1Z1 - Z2Z2)·H, before r (which may alias p or q) is written
        Bn254Fp.add(s, 12, p, po + 8, q, qo + 8);
        Bn254Fp.sqr(s, 12, s, 12);
        Bn254Fp.sub(s, 12, s, 12, s, 0);
        Bn254Fp.sub(s, 12, s, 12, s, 4);
        Bn254Fp.mul(r, ro + 8, s, 12, s, 24);
        // X3 = rr² - J - 2V
        Bn254Fp.sqr(s, 0, s, 36);
        Bn254Fp.sub(s, 0, s, 0, s, 32);
        Bn254Fp.sub(s, 0, s, 0, s, 40);
        Bn254Fp.sub(r, ro, s, 0, s, 40);
        // Y3 = rr(V - X3) - 2·S1·J
        Bn254Fp.sub(s, 40, s, 40, r, ro);
        Bn254Fp.mul(s, 40, s, 36, s, 40);
        Bn254Fp.mul(s, 16, s, 16, s, 32);
        Bn254Fp.add(s, 16, s, 16, s, 16);
        Bn254Fp.sub(r, ro + 4, s, 40, s, 16);
    }
}
