package io.flotilla.evm.crypto;

import static io.flotilla.evm.crypto.Secp256k1Field.add;
import static io.flotilla.evm.crypto.Secp256k1Field.copy;
import static io.flotilla.evm.crypto.Secp256k1Field.isZero;
import static io.flotilla.evm.crypto.Secp256k1Field.mul;
import static io.flotilla.evm.crypto.Secp256k1Field.sqr;
import static io.flotilla.evm.crypto.Secp256k1Field.sub;

import java.math.BigInteger;

/**
 * secp256k1 public-key recovery on {@link Secp256k1Field} limbs: R from (r, parity) by the square root, then
 * Q = u1·G + u2·R (u1 = -e/r, u2 = s/r mod n) in Jacobian coordinates (a = 0): each scalar split in two halves of
 * about 128 bits by the GLV endomorphism, then an interleaved wNAF double-and-add over the four: width 8 against
 * tables of odd multiples of G and λG (affine, built once on first use, immutable), width 5 against odd multiples
 * of R and λR built per call; one field inversion at the end. Variable time: only public data (signatures,
 * hashes, public keys) goes through here, never a private key.
 *
 * <p>A point is 12 longs (X, Y, Z) at an offset in a per-call long[]; Z = 0 is the point at infinity.
 */
final class Secp256k1Recovery {
    static final BigInteger N = new BigInteger("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16);
    static final BigInteger GX = new BigInteger("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", 16);
    static final BigInteger GY = new BigInteger("483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8", 16);
    /**
     * The endomorphism (x, y) -> (β·x, y) is multiplication by λ (β, λ cube roots of unity mod p and n). A scalar k
     * splits as k1 + k2·λ (mod n) with |k1|, |k2| about 2^128 by rounding against the short lattice basis
     * (a1, b1), (a2, b2) of {(a, b): a + b·λ ≡ 0 mod n} (found by the extended Euclid on n and λ), which halves the
     * doublings.
     */
    static final BigInteger LAMBDA = new BigInteger("5363ad4cc05c30e0a5261c028812645a122e22ea20816678df02967c1b23bd72", 16);
    static final BigInteger BETA = new BigInteger("7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501ee", 16);
    private static final BigInteger A1 = new BigInteger("3086d221a7d46bcde86c90e49284eb15", 16);
    private static final BigInteger B1 = new BigInteger("-e4437ed6010e88286f547fa90abfe4c3", 16);
    private static final BigInteger A2 = new BigInteger("114ca50f7a8e2f3f657c1108d9d44cfd8", 16);
    private static final BigInteger B2 = A1;
    /** round(2^384·b2/n) and round(-2^384·b1/n): c1 = round(k·b2/n), c2 = round(-k·b1/n) by a multiplication. */
    private static final BigInteger G1 = roundDiv(B2.shiftLeft(384), N);
    private static final BigInteger G2 = roundDiv(B1.negate().shiftLeft(384), N);
    private static final BigInteger HALF384 = BigInteger.ONE.shiftLeft(383);
    private static final long[] BETA_FE = new long[4];
    private static final BinaryInverse N_INVERSE = new BinaryInverse(N);

    static {
        Secp256k1Field.set(BETA_FE, 0, BETA);
    }

    private static final int W_G = 8;
    private static final int W_R = 5;

    // layout of the per-call scratch array
    private static final int ACC = 0;
    private static final int QN = 12; // a negated table point
    private static final int TR = 24; // odd multiples R, 3R, ..., 15R
    private static final int TL = TR + 12 * (1 << (W_R - 2)); // the same multiplied by λ
    private static final int TMP = TL + 12 * (1 << (W_R - 2)); // 24 longs for point formulas
    private static final int SCRATCH = TMP + 24;
    private static final int SIZE = SCRATCH + 32;

    private Secp256k1Recovery() {
    }

    /** Odd multiples G, 3G, ..., (2^(W_G-1) - 1)G as affine (x, y), 8 longs each; L the same times λ. */
    private static final class GTable {
        static final long[] T = build();
        static final long[] L = lambda(T);

        private static long[] lambda(long[] t) {
            long[] l = t.clone();
            for (int o = 0; o < l.length; o += 8) mul(l, o, l, o, BETA_FE, 0);
            return l;
        }

        private static long[] build() {
            int count = 1 << (W_G - 2);
            long[] w = new long[36 + 24];
            long[] t = new long[count * 8];
            int p = 0, twice = 12, tmp = 36;
            Secp256k1Field.set(w, p, GX);
            Secp256k1Field.set(w, p + 4, GY);
            Secp256k1Field.setOne(w, p + 8);
            copy(w, twice, w, p);
            copy(w, twice + 4, w, p + 4);
            copy(w, twice + 8, w, p + 8);
            dbl(w, twice, tmp);
            long[] z = new long[12];
            for (int i = 0; i < count; i++) {
                if (i > 0) addJacobian(w, p, w, twice, tmp);
                Secp256k1Field.inv(z, 0, w, p + 8);
                sqr(z, 4, z, 0);
                mul(t, 8 * i, w, p, z, 4);
                mul(z, 4, z, 4, z, 0);
                mul(t, 8 * i + 4, w, p + 4, z, 4);
            }
            return t;
        }
    }

    /**
     * The uncompressed public key (x ‖ y, 64 bytes) that signed the 32-byte-or-other hash with (r, s) and y parity
     * recId, or null when there is none (r not the x of a curve point, or the result is the point at infinity).
     * Requires recId in {0, 1} and 0 < r, s < n (the caller checks).
     */
    static byte[] recover(byte[] hash, int recId, BigInteger r, BigInteger s) {
        long[] w = new long[SIZE];
        // R = (r, y): y² = r³ + 7 (r < n < p, so r is a field element)
        int x = TR, y = TR + 4, z = TR + 8, t = SCRATCH;
        Secp256k1Field.set(w, x, r);
        sqr(w, t, w, x);
        mul(w, t, w, t, w, x);
        w[t + 4] = 7;
        add(w, t, w, t, w, t + 4);
        if (!Secp256k1Field.sqrt(w, y, w, t, w, TMP)) return null;
        if ((w[y] & 1) != recId) Secp256k1Field.neg(w, y, w, y);
        Secp256k1Field.setOne(w, z);
        // odd multiples of R: 2R in the accumulator for now
        copy(w, ACC, w, x);
        copy(w, ACC + 4, w, y);
        copy(w, ACC + 8, w, z);
        dbl(w, ACC, TMP);
        for (int i = 1; i < 1 << (W_R - 2); i++) {
            System.arraycopy(w, TR + 12 * (i - 1), w, TR + 12 * i, 12);
            addJacobian(w, TR + 12 * i, w, ACC, TMP);
        }
        for (int i = 0; i < 1 << (W_R - 2); i++) {
            int o = TR + 12 * i, l = TL + 12 * i;
            mul(w, l, w, o, BETA_FE, 0);
            copy(w, l + 4, w, o + 4);
            copy(w, l + 8, w, o + 8);
        }
        // u1 = -e/r, u2 = s/r (mod n), each split as k1 + k2·λ
        BigInteger rInv = scalarInverse(r);
        BigInteger u1 = new BigInteger(1, hash).negate().multiply(rInv).mod(N);
        BigInteger u2 = s.multiply(rInv).mod(N);
        BigInteger[] k = new BigInteger[4];
        split(u1, k, 0);
        split(u2, k, 2);
        int[][] naf = new int[4][];
        int[] sign = new int[4];
        int len = 0;
        for (int j = 0; j < 4; j++) {
            naf[j] = new int[258];
            sign[j] = k[j].signum();
            len = Math.max(len, wnaf(naf[j], k[j].abs(), j < 2 ? W_G : W_R));
        }
        long[] gt = GTable.T, gl = GTable.L;
        boolean started = false;
        w[ACC + 8] = w[ACC + 9] = w[ACC + 10] = w[ACC + 11] = 0; // infinity
        for (int i = len - 1; i >= 0; i--) {
            if (started) dbl(w, ACC, TMP);
            for (int j = 0; j < 2; j++) {
                int d = naf[j][i] * sign[j];
                if (d == 0) continue;
                long[] g = j == 0 ? gt : gl;
                int o = 8 * ((Math.abs(d) - 1) >> 1);
                if (d > 0) {
                    addAffine(w, ACC, g, o, g, o + 4, TMP);
                } else {
                    Secp256k1Field.neg(w, QN + 4, g, o + 4);
                    addAffine(w, ACC, g, o, w, QN + 4, TMP);
                }
                started = true;
            }
            for (int j = 2; j < 4; j++) {
                int d = naf[j][i] * sign[j];
                if (d == 0) continue;
                int o = (j == 2 ? TR : TL) + 12 * ((Math.abs(d) - 1) >> 1);
                if (d > 0) {
                    addJacobian(w, ACC, w, o, TMP);
                } else {
                    copy(w, QN, w, o);
                    Secp256k1Field.neg(w, QN + 4, w, o + 4);
                    copy(w, QN + 8, w, o + 8);
                    addJacobian(w, ACC, w, QN, TMP);
                }
                started = true;
            }
        }
        if (isZero(w, ACC + 8)) return null;
        // affine: x = X/Z², y = Y/Z³
        Secp256k1Field.inv(w, t, w, ACC + 8);
        sqr(w, t + 4, w, t);
        mul(w, t + 8, w, ACC, w, t + 4);
        mul(w, t + 4, w, t + 4, w, t);
        mul(w, t + 12, w, ACC + 4, w, t + 4);
        byte[] out = new byte[64];
        Secp256k1Field.toBytes(w, t + 8, out, 0);
        Secp256k1Field.toBytes(w, t + 12, out, 32);
        return out;
    }

    private static BigInteger roundDiv(BigInteger a, BigInteger b) {
        return a.shiftLeft(1).add(b).divide(b.shiftLeft(1));
    }

    /** k = k1 + k2·λ (mod n) into out[o], out[o + 1], each of absolute value below about 2^129 (k in [0, n)). */
    static void split(BigInteger k, BigInteger[] out, int o) {
        BigInteger c1 = k.multiply(G1).add(HALF384).shiftRight(384);
        BigInteger c2 = k.multiply(G2).add(HALF384).shiftRight(384);
        out[o] = k.subtract(c1.multiply(A1)).subtract(c2.multiply(A2));
        out[o + 1] = c1.multiply(B1).add(c2.multiply(B2)).negate();
    }

    /** r^-1 mod n for r in [1, n) by the binary GCD on limbs. */
    private static BigInteger scalarInverse(BigInteger r) {
        long[] t = {r.longValue(), r.shiftRight(64).longValue(), r.shiftRight(128).longValue(), r.shiftRight(192).longValue()};
        if (!N_INVERSE.inverse(t, 0, t, 0)) throw new ArithmeticException("not invertible");
        byte[] b = new byte[32];
        for (int i = 0; i < 4; i++) Secp256k1Field.putLong(b, 24 - 8 * i, t[i]);
        return new BigInteger(1, b);
    }

    /**
     * The width-w NAF of k (0 <= k < 2^256 - 2^w): naf[i] odd in (-2^(w-1), 2^(w-1)) or 0, k = Σ naf[i]·2^i, no two
     * nonzero digits within w positions. naf must be zero on entry (257 digits at most). Returns the number of
     * digits (0 for k = 0).
     */
    static int wnaf(int[] naf, BigInteger k, int width) {
        long k0 = k.longValue(), k1 = k.shiftRight(64).longValue(), k2 = k.shiftRight(128).longValue(), k3 = k.shiftRight(192).longValue();
        long mask = (1L << width) - 1, half = 1L << (width - 1);
        int i = 0, len = 0;
        while ((k0 | k1 | k2 | k3) != 0) {
            int shift;
            if ((k0 & 1) == 0) {
                shift = k0 == 0 ? 64 : Long.numberOfTrailingZeros(k0);
            } else {
                long d = k0 & mask;
                if (d >= half) d -= 1L << width;
                naf[i] = (int) d;
                len = i + 1;
                // k -= d: afterwards k ≡ 0 mod 2^width
                // (d > 0 is k's own low bits: no borrow; d < 0 adds |d| and may carry)
                long n0 = k0 - d;
                if (d < 0 && Long.compareUnsigned(n0, k0) < 0 && ++k1 == 0 && ++k2 == 0) k3++;
                k0 = n0;
                shift = 1;
            }
            if (shift == 64) {
                k0 = k1;
                k1 = k2;
                k2 = k3;
                k3 = 0;
            } else {
                k0 = (k0 >>> shift) | (k1 << (64 - shift));
                k1 = (k1 >>> shift) | (k2 << (64 - shift));
                k2 = (k2 >>> shift) | (k3 << (64 - shift));
                k3 >>>= shift;
            }
            i += shift;
        }
        return len;
    }

    /** p = 2p in place (a = 0; dbl-2009-l); infinity stays infinity. t: 24 longs of scratch. */
    static void dbl(long[] w, int p, int t) {
        int a = t, b = t + 4, c = t + 8, d = t + 12, e = t + 16, f = t + 20;
        sqr(w, a, w, p);
        sqr(w, b, w, p + 4);
        sqr(w, c, w, b);
        add(w, d, w, p, w, b);
        sqr(w, d, w, d);
        sub(w, d, w, d, w, a);
        sub(w, d, w, d, w, c);
        add(w, d, w, d, w, d);
        add(w, e, w, a, w, a);
        add(w, e, w, e, w, a);
        sqr(w, f, w, e);
        mul(w, p + 8, w, p + 4, w, p + 8);
        add(w, p + 8, w, p + 8, w, p + 8);
        sub(w, p, w, f, w, d);
        sub(w, p, w, p, w, d);
        sub(w, d, w, d, w, p);
        mul(w, d, w, e, w, d);
        add(w, c, w, c, w, c);
        add(w, c, w, c, w, c);
        add(w, c, w, c, w, c);
        sub(w, p + 4, w, d, w, c);
    }

    /** p += (x2, y2), an affine point (not infinity). t: 24 longs of scratch (disjoint from p, x2, y2). */
    static void addAffine(long[] w, int p, long[] qx, int xo, long[] qy, int yo, int t) {
        if (isZero(w, p + 8)) {
            copy(w, p, qx, xo);
            copy(w, p + 4, qy, yo);
            Secp256k1Field.setOne(w, p + 8);
            return;
        }
        int z3 = t, u2 = t + 4, s2 = t + 8, hh = t + 12, hhh = t + 16, v = t + 20;
        sqr(w, z3, w, p + 8);
        mul(w, u2, qx, xo, w, z3);
        mul(w, z3, w, z3, w, p + 8);
        mul(w, s2, qy, yo, w, z3);
        sub(w, u2, w, u2, w, p); // H
        sub(w, s2, w, s2, w, p + 4); // R
        if (isZero(w, u2)) {
            if (isZero(w, s2)) {
                dbl(w, p, t);
            } else {
                Secp256k1Field.setZero(w, p + 8);
            }
            return;
        }
        finish(w, p, u2, s2, w, p, w, p + 4, hh, hhh, v);
        mul(w, p + 8, w, p + 8, w, u2);
    }

    /** p += q, both Jacobian (q at qo in qa, not overlapping p or t). t: 24 longs of scratch. */
    static void addJacobian(long[] w, int p, long[] qa, int qo, int t) {
        if (isZero(qa, qo + 8)) return;
        if (isZero(w, p + 8)) {
            System.arraycopy(qa, qo, w, p, 12);
            return;
        }
        int z1z1 = t, z2z2 = t + 4, u1 = t + 8, u2 = t + 12, hh = t + 16, hhh = t + 20;
        sqr(w, z1z1, w, p + 8);
        sqr(w, z2z2, qa, qo + 8);
        mul(w, u1, w, p, w, z2z2);
        mul(w, u2, qa, qo, w, z1z1);
        mul(w, z2z2, w, z2z2, qa, qo + 8);
        mul(w, z2z2, w, z2z2, w, p + 4); // S1
        mul(w, z1z1, w, z1z1, w, p + 8);
        mul(w, z1z1, qa, qo + 4, w, z1z1); // S2
        sub(w, u2, w, u2, w, u1); // H
        sub(w, z1z1, w, z1z1, w, z2z2); // R
        if (isZero(w, u2)) {
            if (isZero(w, z1z1)) {
                dbl(w, p, t);
            } else {
                Secp256k1Field.setZero(w, p + 8);
            }
            return;
        }
        mul(w, p + 8, w, p + 8, qa, qo + 8);
        mul(w, p + 8, w, p + 8, w, u2);
        finish(w, p, u2, z1z1, w, u1, w, z2z2, hh, hhh, u1);
    }

    /**
     * The common tail of the additions: with H, R, U1 (X1·Z2²) and S1 (Y1·Z2³), X3 = R² - H³ - 2·U1·H² and
     * Y3 = R·(U1·H² - X3) - S1·H³ into p (X, Y only). v may alias u1; u1 and s1 may be p's own X and Y.
     */
    private static void finish(long[] w, int p, int h, int r, long[] ua, int u1, long[] sa, int s1, int hh, int hhh, int v) {
        sqr(w, hh, w, h);
        mul(w, hhh, w, h, w, hh);
        mul(w, v, ua, u1, w, hh); // V = U1·H²
        mul(w, hh, sa, s1, w, hhh); // S1·H³ (H² no longer needed)
        sqr(w, p, w, r);
        sub(w, p, w, p, w, hhh);
        sub(w, p, w, p, w, v);
        sub(w, p, w, p, w, v);
        sub(w, v, w, v, w, p);
        mul(w, v, w, r, w, v);
        sub(w, p + 4, w, v, w, hh);
    }
}
