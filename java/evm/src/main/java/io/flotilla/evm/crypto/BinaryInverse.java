package io.flotilla.evm.crypto;

import java.math.BigInteger;

/**
 * Modular inversion for an odd modulus below 2^256 by a binary extended GCD on 4 little-endian 64-bit limbs, batched
 * 31 steps at a time: each batch runs on 64-bit approximations of a and b (their top 33 and low 31 bits, exact once
 * both fit in a word), collects the steps in a matrix of small signed factors, then applies the matrix to the full
 * a, b and to the cofactors u, v (with an exact division by 2^31 mod m). Invariants: a ≡ u·x, b ≡ v·x (mod m), b odd;
 * it ends with a = 0, b = gcd = 1, so v = x^-1. Variable time (all inputs here are public).
 */
public final class BinaryInverse {
    private static final long LOW31 = 0x7FFFFFFFL;
    private final long[] m;
    /** -m^-1 mod 2^64. */
    private final long mInvNeg;
    private final BigInteger mBig;

    public BinaryInverse(BigInteger modulus) {
        if (!modulus.testBit(0) || modulus.bitLength() > 256) throw new IllegalArgumentException("odd modulus below 2^256");
        mBig = modulus;
        m = new long[4];
        for (int i = 0; i < 4; i++) m[i] = modulus.shiftRight(64 * i).longValue();
        long inv = m[0]; // Newton: correct to 3 bits, doubling each step
        for (int i = 0; i < 5; i++) inv *= 2 - m[0] * inv;
        mInvNeg = -inv;
    }

    /**
     * r[ro..ro+4) = x^-1 mod m for x[xo..xo+4) in [1, m) (r may alias x). Returns false, r untouched, when x is 0
     * or not invertible.
     */
    public boolean inverse(long[] r, int ro, long[] x, int xo) {
        // a (0), b (4), u (8), v (12), scratch (16..)
        long[] s = new long[40];
        System.arraycopy(x, xo, s, 0, 4);
        System.arraycopy(m, 0, s, 4, 4);
        s[8] = 1;
        if ((s[0] | s[1] | s[2] | s[3]) == 0) return false;
        int rounds = 0;
        while ((s[0] | s[1] | s[2] | s[3]) != 0) {
            if (++rounds > 40) return fallback(r, ro, x, xo); // cannot happen (about 17 batches suffice); defensive
            long a0 = s[0], b0 = s[4];
            long hiA, loA, hiB, loB;
            long or3 = s[3] | s[7], or2 = s[2] | s[6], or1 = s[1] | s[5];
            long aHat, bHat;
            if ((or3 | or2 | or1) == 0) {
                aHat = a0;
                bHat = b0;
            } else {
                int lz;
                if (or3 != 0) {
                    hiA = s[3]; loA = s[2]; hiB = s[7]; loB = s[6]; lz = Long.numberOfLeadingZeros(or3);
                } else if (or2 != 0) {
                    hiA = s[2]; loA = s[1]; hiB = s[6]; loB = s[5]; lz = Long.numberOfLeadingZeros(or2);
                } else {
                    hiA = s[1]; loA = a0; hiB = s[5]; loB = b0; lz = Long.numberOfLeadingZeros(or1);
                }
                long wa = lz == 0 ? hiA : (hiA << lz) | (loA >>> (64 - lz));
                long wb = lz == 0 ? hiB : (hiB << lz) | (loB >>> (64 - lz));
                aHat = (wa & ~LOW31) | (a0 & LOW31);
                bHat = (wb & ~LOW31) | (b0 & LOW31);
            }
            long f0 = 1, g0 = 0, f1 = 0, g1 = 1;
            for (int j = 0; j < 31; j++) {
                if ((aHat & 1) != 0) {
                    if (Long.compareUnsigned(aHat, bHat) < 0) {
                        long t = aHat; aHat = bHat; bHat = t;
                        t = f0; f0 = f1; f1 = t;
                        t = g0; g0 = g1; g1 = t;
                    }
                    aHat -= bHat;
                    f0 -= f1;
                    g0 -= g1;
                }
                aHat >>>= 1;
                f1 <<= 1;
                g1 <<= 1;
            }
            // a' = (f0·a + g0·b)/2^31, b' = (f1·a + g1·b)/2^31; a negative result flips its row's signs
            linComb(s, 16, s, 0, f0, s, 4, g0);
            linComb(s, 21, s, 0, f1, s, 4, g1);
            if (shiftOut(s, 16)) {
                f0 = -f0;
                g0 = -g0;
            }
            if (shiftOut(s, 21)) {
                f1 = -f1;
                g1 = -g1;
            }
            System.arraycopy(s, 16, s, 0, 4);
            System.arraycopy(s, 21, s, 4, 4);
            // u' = (f0·u + g0·v)/2^31 mod m, v' = (f1·u + g1·v)/2^31 mod m
            linComb(s, 16, s, 8, f0, s, 12, g0);
            linComb(s, 21, s, 8, f1, s, 12, g1);
            modShift(s, 16);
            modShift(s, 21);
            System.arraycopy(s, 16, s, 8, 4);
            System.arraycopy(s, 21, s, 12, 4);
        }
        if (s[4] != 1 || (s[5] | s[6] | s[7]) != 0) return false; // gcd ≠ 1
        System.arraycopy(s, 12, r, ro, 4);
        return true;
    }

    private boolean fallback(long[] r, int ro, long[] x, int xo) {
        BigInteger v = BigInteger.ZERO;
        for (int i = 3; i >= 0; i--) v = v.shiftLeft(64).or(new BigInteger(Long.toUnsignedString(x[xo + i])));
        if (v.signum() == 0 || !v.gcd(mBig).equals(BigInteger.ONE)) return false;
        BigInteger inv = v.modInverse(mBig);
        for (int i = 0; i < 4; i++) r[ro + i] = inv.shiftRight(64 * i).longValue();
        return true;
    }

    /** r[ro..ro+5) = x·f + y·g as a 320-bit two's complement number (x, y below 2^256, |f|, |g| <= 2^32). */
    private static void linComb(long[] r, int ro, long[] x, int xo, long f, long[] y, int yo, long g) {
        long af = Math.abs(f), ag = Math.abs(g);
        long mf = f < 0 ? -1L : 0L, mg = g < 0 ? -1L : 0L;
        // two's complement negation of a product p: ~p + 1, folded in limb by limb as (p ^ mask) with carry-in 1
        long cf = -mf, cg = -mg; // the +1 of the negations
        long hf = 0, hg = 0, carry = 0;
        for (int i = 0; i < 4; i++) {
            long xi = x[xo + i], yi = y[yo + i];
            long pf = xi * af, pfh = Math.unsignedMultiplyHigh(xi, af);
            long lf = pf + hf;
            hf = pfh + (Long.compareUnsigned(lf, pf) < 0 ? 1 : 0);
            long pg = yi * ag, pgh = Math.unsignedMultiplyHigh(yi, ag);
            long lg = pg + hg;
            hg = pgh + (Long.compareUnsigned(lg, pg) < 0 ? 1 : 0);
            // negate if needed
            long nf = (lf ^ mf) + cf;
            cf = (cf != 0 && nf == 0) ? 1 : 0;
            long ng = (lg ^ mg) + cg;
            cg = (cg != 0 && ng == 0) ? 1 : 0;
            long sum = nf + ng;
            long c1 = Long.compareUnsigned(sum, nf) < 0 ? 1 : 0;
            long sum2 = sum + carry;
            long c2 = Long.compareUnsigned(sum2, sum) < 0 ? 1 : 0;
            r[ro + i] = sum2;
            carry = c1 + c2;
        }
        long nf = (hf ^ mf) + cf;
        long ng = (hg ^ mg) + cg;
        r[ro + 4] = nf + ng + carry;
    }

    /**
     * t = t >> 31 (arithmetic, exact) for the 5-limb t at o; if negative, negates it. Returns whether it negated.
     * The result fits in 4 limbs.
     */
    private static boolean shiftOut(long[] t, int o) {
        shiftRight31(t, o);
        if (t[o + 4] < 0) {
            negate5(t, o);
            return true;
        }
        return false;
    }

    private static void shiftRight31(long[] t, int o) {
        for (int i = 0; i < 4; i++) t[o + i] = (t[o + i] >>> 31) | (t[o + i + 1] << 33);
        t[o + 4] >>= 31;
    }

    private static void negate5(long[] t, int o) {
        long c = 1;
        for (int i = 0; i < 5; i++) {
            long v = ~t[o + i] + c;
            c = (c != 0 && v == 0) ? 1 : 0;
            t[o + i] = v;
        }
    }

    /** t = t/2^31 mod m for the 5-limb signed t at o (|t| < 2^32·m): adds k·m to clear the low 31 bits, shifts, reduces. */
    private void modShift(long[] t, int o) {
        long k = (t[o] * mInvNeg) & LOW31;
        long carry = 0;
        for (int i = 0; i < 4; i++) {
            long lo = m[i] * k, hi = Math.unsignedMultiplyHigh(m[i], k);
            long s1 = t[o + i] + lo;
            long c1 = Long.compareUnsigned(s1, lo) < 0 ? 1 : 0;
            long s2 = s1 + carry;
            long c2 = Long.compareUnsigned(s2, s1) < 0 ? 1 : 0;
            t[o + i] = s2;
            carry = hi + c1 + c2;
        }
        t[o + 4] += carry;
        shiftRight31(t, o);
        while (t[o + 4] < 0) addM(t, o);
        while (t[o + 4] != 0 || !lessThanM(t, o)) subM(t, o);
    }

    private boolean lessThanM(long[] t, int o) {
        for (int i = 3; i >= 0; i--) {
            if (t[o + i] != m[i]) return Long.compareUnsigned(t[o + i], m[i]) < 0;
        }
        return false;
    }

    private void addM(long[] t, int o) {
        long c = 0;
        for (int i = 0; i < 4; i++) {
            long s1 = t[o + i] + m[i];
            long c1 = Long.compareUnsigned(s1, m[i]) < 0 ? 1 : 0;
            long s2 = s1 + c;
            long c2 = Long.compareUnsigned(s2, s1) < 0 ? 1 : 0;
            t[o + i] = s2;
            c = c1 + c2;
        }
        t[o + 4] += c;
    }

    private void subM(long[] t, int o) {
        long b = 0;
        for (int i = 0; i < 4; i++) {
            long x = t[o + i];
            long d1 = x - m[i];
            long b1 = Long.compareUnsigned(x, m[i]) < 0 ? 1 : 0;
            long d2 = d1 - b;
            long b2 = Long.compareUnsigned(d1, b) < 0 ? 1 : 0;
            t[o + i] = d2;
            b = b1 + b2;
        }
        t[o + 4] -= b;
    }
}
