package io.flotilla.evm.crypto;

import java.math.BigInteger;

/**
 * The secp256k1 base field F_p, p = 2^256 - 2^32 - 977: elements are 4 little-endian 64-bit limbs holding the plain
 * value, always fully reduced (below p), stored at an offset in a long[]. Multiplication reduces the 512-bit product
 * with 2^256 ≡ c = 2^32 + 977 (two folds). No method allocates except the inversion; an output may alias its inputs.
 * Variable time (only public data is processed here).
 */
final class Secp256k1Field {
    static final BigInteger P_BIG = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE.shiftLeft(32)).subtract(BigInteger.valueOf(977));
    /** 2^256 - p. */
    private static final long C = 0x1000003D1L;
    /** The low limb of p (the other three are all ones). */
    private static final long P0 = -C;
    private static final BinaryInverse INVERSE = new BinaryInverse(P_BIG);

    private Secp256k1Field() {
    }

    /** r = a·b. */
    static void mul(long[] r, int ro, long[] a, int ao, long[] b, int bo) {
        long a0 = a[ao], a1 = a[ao + 1], a2 = a[ao + 2], a3 = a[ao + 3];
        long b0 = b[bo], b1 = b[bo + 1], b2 = b[bo + 2], b3 = b[bo + 3];
        long t0, t1, t2, t3, t4, t5, t6, t7, lo, hi, c, s;
        t0 = a0 * b0; c = Math.unsignedMultiplyHigh(a0, b0);
        lo = a1 * b0; hi = Math.unsignedMultiplyHigh(a1, b0);
        t1 = lo + c; c = hi + (Long.compareUnsigned(t1, lo) < 0 ? 1L : 0L);
        lo = a2 * b0; hi = Math.unsignedMultiplyHigh(a2, b0);
        t2 = lo + c; c = hi + (Long.compareUnsigned(t2, lo) < 0 ? 1L : 0L);
        lo = a3 * b0; hi = Math.unsignedMultiplyHigh(a3, b0);
        t3 = lo + c; c = hi + (Long.compareUnsigned(t3, lo) < 0 ? 1L : 0L);
        t4 = c;
        lo = a0 * b1; hi = Math.unsignedMultiplyHigh(a0, b1);
        s = lo + t1; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t1 = s;
        lo = a1 * b1; hi = Math.unsignedMultiplyHigh(a1, b1);
        lo += c; hi += (Long.compareUnsigned(lo, c) < 0 ? 1L : 0L);
        s = lo + t2; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t2 = s;
        lo = a2 * b1; hi = Math.unsignedMultiplyHigh(a2, b1);
        lo += c; hi += (Long.compareUnsigned(lo, c) < 0 ? 1L : 0L);
        s = lo + t3; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t3 = s;
        lo = a3 * b1; hi = Math.unsignedMultiplyHigh(a3, b1);
        lo += c; hi += (Long.compareUnsigned(lo, c) < 0 ? 1L : 0L);
        s = lo + t4; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t4 = s;
        t5 = c;
        lo = a0 * b2; hi = Math.unsignedMultiplyHigh(a0, b2);
        s = lo + t2; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t2 = s;
        lo = a1 * b2; hi = Math.unsignedMultiplyHigh(a1, b2);
        lo += c; hi += (Long.compareUnsigned(lo, c) < 0 ? 1L : 0L);
        s = lo + t3; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t3 = s;
        lo = a2 * b2; hi = Math.unsignedMultiplyHigh(a2, b2);
        lo += c; hi += (Long.compareUnsigned(lo, c) < 0 ? 1L : 0L);
        s = lo + t4; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t4 = s;
        lo = a3 * b2; hi = Math.unsignedMultiplyHigh(a3, b2);
        lo += c; hi += (Long.compareUnsigned(lo, c) < 0 ? 1L : 0L);
        s = lo + t5; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t5 = s;
        t6 = c;
        lo = a0 * b3; hi = Math.unsignedMultiplyHigh(a0, b3);
        s = lo + t3; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t3 = s;
        lo = a1 * b3; hi = Math.unsignedMultiplyHigh(a1, b3);
        lo += c; hi += (Long.compareUnsigned(lo, c) < 0 ? 1L : 0L);
        s = lo + t4; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t4 = s;
        lo = a2 * b3; hi = Math.unsignedMultiplyHigh(a2, b3);
        lo += c; hi += (Long.compareUnsigned(lo, c) < 0 ? 1L : 0L);
        s = lo + t5; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t5 = s;
        lo = a3 * b3; hi = Math.unsignedMultiplyHigh(a3, b3);
        lo += c; hi += (Long.compareUnsigned(lo, c) < 0 ? 1L : 0L);
        s = lo + t6; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t6 = s;
        t7 = c;
        reduce(r, ro, t0, t1, t2, t3, t4, t5, t6, t7);
    }

    /** r = a². */
    static void sqr(long[] r, int ro, long[] a, int ao) {
        long a0 = a[ao], a1 = a[ao + 1], a2 = a[ao + 2], a3 = a[ao + 3];
        long t0, t1, t2, t3, t4, t5, t6, t7, lo, hi, c, s;
        t1 = a0 * a1; c = Math.unsignedMultiplyHigh(a0, a1);
        lo = a0 * a2; hi = Math.unsignedMultiplyHigh(a0, a2);
        t2 = lo + c; c = hi + (Long.compareUnsigned(t2, lo) < 0 ? 1L : 0L);
        lo = a0 * a3; hi = Math.unsignedMultiplyHigh(a0, a3);
        t3 = lo + c; c = hi + (Long.compareUnsigned(t3, lo) < 0 ? 1L : 0L);
        t4 = c;
        lo = a1 * a2; hi = Math.unsignedMultiplyHigh(a1, a2);
        s = lo + t3; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t3 = s;
        lo = a1 * a3; hi = Math.unsignedMultiplyHigh(a1, a3);
        lo += c; hi += (Long.compareUnsigned(lo, c) < 0 ? 1L : 0L);
        s = lo + t4; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t4 = s;
        t5 = c;
        lo = a2 * a3; hi = Math.unsignedMultiplyHigh(a2, a3);
        s = lo + t5; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t5 = s;
        t6 = c;
        t7 = t6 >>> 63;
        t6 = (t6 << 1) | (t5 >>> 63);
        t5 = (t5 << 1) | (t4 >>> 63);
        t4 = (t4 << 1) | (t3 >>> 63);
        t3 = (t3 << 1) | (t2 >>> 63);
        t2 = (t2 << 1) | (t1 >>> 63);
        t1 <<= 1;
        long d;
        t0 = a0 * a0; d = Math.unsignedMultiplyHigh(a0, a0);
        s = t1 + d; c = Long.compareUnsigned(s, d) < 0 ? 1L : 0L; t1 = s;
        d = a1 * a1;
        d += c; c = Long.compareUnsigned(d, c) < 0 ? 1L : 0L; s = t2 + d; c += Long.compareUnsigned(s, d) < 0 ? 1L : 0L; t2 = s;
        d = Math.unsignedMultiplyHigh(a1, a1);
        d += c; c = Long.compareUnsigned(d, c) < 0 ? 1L : 0L; s = t3 + d; c += Long.compareUnsigned(s, d) < 0 ? 1L : 0L; t3 = s;
        d = a2 * a2;
        d += c; c = Long.compareUnsigned(d, c) < 0 ? 1L : 0L; s = t4 + d; c += Long.compareUnsigned(s, d) < 0 ? 1L : 0L; t4 = s;
        d = Math.unsignedMultiplyHigh(a2, a2);
        d += c; c = Long.compareUnsigned(d, c) < 0 ? 1L : 0L; s = t5 + d; c += Long.compareUnsigned(s, d) < 0 ? 1L : 0L; t5 = s;
        d = a3 * a3;
        d += c; c = Long.compareUnsigned(d, c) < 0 ? 1L : 0L; s = t6 + d; c += Long.compareUnsigned(s, d) < 0 ? 1L : 0L; t6 = s;
        d = Math.unsignedMultiplyHigh(a3, a3);
        d += c; c = Long.compareUnsigned(d, c) < 0 ? 1L : 0L; s = t7 + d; c += Long.compareUnsigned(s, d) < 0 ? 1L : 0L; t7 = s;
        reduce(r, ro, t0, t1, t2, t3, t4, t5, t6, t7);
    }

    /** r = a^(2^k) (k squarings). */
    static void sqrN(long[] r, int ro, long[] a, int ao, int k) {
        sqr(r, ro, a, ao);
        for (int i = 1; i < k; i++) sqr(r, ro, r, ro);
    }

    /** Stores the 512-bit t7..t0 mod p. */
    private static void reduce(long[] r, int ro, long t0, long t1, long t2, long t3, long t4, long t5, long t6, long t7) {
        long lo, hi, c;
        // first fold: t0..t3 + c·(t4..t7), a 290-bit value in r0..r3 and c
        lo = t4 * C; hi = Math.unsignedMultiplyHigh(t4, C);
        long r0 = t0 + lo; c = hi + (Long.compareUnsigned(r0, lo) < 0 ? 1L : 0L);
        lo = t5 * C; hi = Math.unsignedMultiplyHigh(t5, C);
        lo += c; hi += (Long.compareUnsigned(lo, c) < 0 ? 1L : 0L);
        long r1 = t1 + lo; c = hi + (Long.compareUnsigned(r1, lo) < 0 ? 1L : 0L);
        lo = t6 * C; hi = Math.unsignedMultiplyHigh(t6, C);
        lo += c; hi += (Long.compareUnsigned(lo, c) < 0 ? 1L : 0L);
        long r2 = t2 + lo; c = hi + (Long.compareUnsigned(r2, lo) < 0 ? 1L : 0L);
        lo = t7 * C; hi = Math.unsignedMultiplyHigh(t7, C);
        lo += c; hi += (Long.compareUnsigned(lo, c) < 0 ? 1L : 0L);
        long r3 = t3 + lo; c = hi + (Long.compareUnsigned(r3, lo) < 0 ? 1L : 0L);
        // second fold: c < 2^34, c·C < 2^68
        lo = c * C; hi = Math.unsignedMultiplyHigh(c, C);
        r0 += lo;
        long k = hi + (Long.compareUnsigned(r0, lo) < 0 ? 1L : 0L);
        r1 += k;
        if (Long.compareUnsigned(r1, k) < 0) { // rare: carry into the upper limbs
            r2++;
            if (r2 == 0) {
                r3++;
                if (r3 == 0) { // wrapped past 2^256: the value is now tiny, add c once more
                    r0 += C;
                    if (Long.compareUnsigned(r0, C) < 0) r1++;
                }
            }
        }
        store(r, ro, r0, r1, r2, r3);
    }

    /** Stores the value r3..r0 (below 2^256) reduced below p. */
    private static void store(long[] r, int ro, long r0, long r1, long r2, long r3) {
        if ((r1 & r2 & r3) == -1L && Long.compareUnsigned(r0, P0) >= 0) { // in [p, 2^256): subtract p
            r0 += C;
            r1 = 0;
            r2 = 0;
            r3 = 0;
        }
        r[ro] = r0;
        r[ro + 1] = r1;
        r[ro + 2] = r2;
        r[ro + 3] = r3;
    }

    /** r = a + b. */
    static void add(long[] r, int ro, long[] a, int ao, long[] b, int bo) {
        long x = a[ao], y = b[bo];
        long s0 = x + y;
        long c = ((x & y) | ((x | y) & ~s0)) >>> 63;
        x = a[ao + 1];
        y = b[bo + 1];
        long s = x + y;
        long s1 = s + c;
        c = (((x & y) | ((x | y) & ~s)) >>> 63) | (((s & c) | ((s | c) & ~s1)) >>> 63);
        x = a[ao + 2];
        y = b[bo + 2];
        s = x + y;
        long s2 = s + c;
        c = (((x & y) | ((x | y) & ~s)) >>> 63) | (((s & c) | ((s | c) & ~s2)) >>> 63);
        x = a[ao + 3];
        y = b[bo + 3];
        s = x + y;
        long s3 = s + c;
        c = (((x & y) | ((x | y) & ~s)) >>> 63) | (((s & c) | ((s | c) & ~s3)) >>> 63);
        // a carry out means the sum is s + 2^256 ≡ s + C, and then s < 2^256 - 2C: adding C cannot carry out
        long q = C & -c;
        long t0 = s0 + q;
        long k = ((s0 & q) | ((s0 | q) & ~t0)) >>> 63;
        long t1 = s1 + k;
        k = ((s1 & k) | ((s1 | k) & ~t1)) >>> 63;
        long t2 = s2 + k;
        k = ((s2 & k) | ((s2 | k) & ~t2)) >>> 63;
        store(r, ro, t0, t1, t2, s3 + k);
    }

    /** r = a - b. */
    static void sub(long[] r, int ro, long[] a, int ao, long[] b, int bo) {
        long x = a[ao], y = b[bo];
        long d0 = x - y;
        long bw = ((~x & y) | ((~x | y) & d0)) >>> 63;
        x = a[ao + 1];
        y = b[bo + 1];
        long t = x - y;
        long d1 = t - bw;
        bw = (((~x & y) | ((~x | y) & t)) >>> 63) | (((~t & bw) | ((~t | bw) & d1)) >>> 63);
        x = a[ao + 2];
        y = b[bo + 2];
        t = x - y;
        long d2 = t - bw;
        bw = (((~x & y) | ((~x | y) & t)) >>> 63) | (((~t & bw) | ((~t | bw) & d2)) >>> 63);
        x = a[ao + 3];
        y = b[bo + 3];
        t = x - y;
        long d3 = t - bw;
        bw = (((~x & y) | ((~x | y) & t)) >>> 63) | (((~t & bw) | ((~t | bw) & d3)) >>> 63);
        // a borrow means the difference is d - 2^256; adding p = 2^256 - C leaves d - C (d > C then: no borrow out)
        long q = C & -bw;
        long e0 = d0 - q;
        long k = ((~d0 & q) | ((~d0 | q) & e0)) >>> 63;
        long e1 = d1 - k;
        k = ((~d1 & k) | ((~d1 | k) & e1)) >>> 63;
        long e2 = d2 - k;
        k = ((~d2 & k) | ((~d2 | k) & e2)) >>> 63;
        r[ro] = e0;
        r[ro + 1] = e1;
        r[ro + 2] = e2;
        r[ro + 3] = d3 - k;
    }

    /** r = -a. */
    static void neg(long[] r, int ro, long[] a, int ao) {
        if (isZero(a, ao)) {
            setZero(r, ro);
            return;
        }
        // p - a = (2^256 - 1 - a) - (C - 1): the complement, then a subtraction of C - 1 that cannot borrow out
        long n0 = ~a[ao], n1 = ~a[ao + 1], n2 = ~a[ao + 2], n3 = ~a[ao + 3];
        long q = C - 1;
        long e0 = n0 - q;
        long k = ((~n0 & q) | ((~n0 | q) & e0)) >>> 63;
        long e1 = n1 - k;
        k = ((~n1 & k) | ((~n1 | k) & e1)) >>> 63;
        long e2 = n2 - k;
        k = ((~n2 & k) | ((~n2 | k) & e2)) >>> 63;
        r[ro] = e0;
        r[ro + 1] = e1;
        r[ro + 2] = e2;
        r[ro + 3] = n3 - k;
    }

    static boolean isZero(long[] a, int ao) {
        return (a[ao] | a[ao + 1] | a[ao + 2] | a[ao + 3]) == 0;
    }

    static boolean isOdd(long[] a, int ao) {
        return (a[ao] & 1) != 0;
    }

    static boolean equal(long[] a, int ao, long[] b, int bo) {
        return a[ao] == b[bo] && a[ao + 1] == b[bo + 1] && a[ao + 2] == b[bo + 2] && a[ao + 3] == b[bo + 3];
    }

    static void copy(long[] r, int ro, long[] a, int ao) {
        r[ro] = a[ao];
        r[ro + 1] = a[ao + 1];
        r[ro + 2] = a[ao + 2];
        r[ro + 3] = a[ao + 3];
    }

    static void setZero(long[] r, int ro) {
        r[ro] = 0;
        r[ro + 1] = 0;
        r[ro + 2] = 0;
        r[ro + 3] = 0;
    }

    static void setOne(long[] r, int ro) {
        r[ro] = 1;
        r[ro + 1] = 0;
        r[ro + 2] = 0;
        r[ro + 3] = 0;
    }

    /** Sets r to a value below 2^256; false (r untouched) when it is not below p. */
    static boolean set(long[] r, int ro, long l0, long l1, long l2, long l3) {
        if ((l1 & l2 & l3) == -1L && Long.compareUnsigned(l0, P0) >= 0) return false;
        r[ro] = l0;
        r[ro + 1] = l1;
        r[ro + 2] = l2;
        r[ro + 3] = l3;
        return true;
    }

    /** Writes a as a 32-byte big-endian integer. */
    static void toBytes(long[] a, int ao, byte[] out, int off) {
        putLong(out, off, a[ao + 3]);
        putLong(out, off + 8, a[ao + 2]);
        putLong(out, off + 16, a[ao + 1]);
        putLong(out, off + 24, a[ao]);
    }

    static void putLong(byte[] b, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            b[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    /** r = a^-1 (a nonzero; ArithmeticException for zero). */
    static void inv(long[] r, int ro, long[] a, int ao) {
        if (!INVERSE.inverse(r, ro, a, ao)) throw new ArithmeticException("inverse of zero");
    }

    /**
     * r = a^((p+1)/4), the square root of a when a is a square (p ≡ 3 mod 4); returns whether it is one (r² = a).
     * t holds 24 longs of scratch at to; r must not alias a.
     */
    static boolean sqrt(long[] r, int ro, long[] a, int ao, long[] t, int to) {
        // (p+1)/4 in binary: 223 ones, a zero, 22 ones, four zeros, two ones, two zeros. xk = a^(2^k - 1).
        int x2 = to, x3 = to + 4, x11 = to + 8, x22 = to + 12, x44 = to + 16, w = to + 20;
        sqr(t, x2, a, ao);
        mul(t, x2, t, x2, a, ao);
        sqr(t, x3, t, x2);
        mul(t, x3, t, x3, a, ao);
        sqrN(t, w, t, x3, 3);
        mul(t, w, t, w, t, x3); // x6
        sqrN(t, w, t, w, 3);
        mul(t, w, t, w, t, x3); // x9
        sqrN(t, x11, t, w, 2);
        mul(t, x11, t, x11, t, x2);
        sqrN(t, x22, t, x11, 11);
        mul(t, x22, t, x22, t, x11);
        sqrN(t, x44, t, x22, 22);
        mul(t, x44, t, x44, t, x22);
        sqrN(t, w, t, x44, 44);
        mul(t, w, t, w, t, x44); // x88
        sqrN(r, ro, t, w, 88);
        mul(r, ro, r, ro, t, w); // x176
        sqrN(r, ro, r, ro, 44);
        mul(r, ro, r, ro, t, x44); // x220
        sqrN(r, ro, r, ro, 3);
        mul(r, ro, r, ro, t, x3); // x223
        sqrN(r, ro, r, ro, 23);
        mul(r, ro, r, ro, t, x22);
        sqrN(r, ro, r, ro, 6);
        mul(r, ro, r, ro, t, x2);
        sqrN(r, ro, r, ro, 2);
        sqr(t, w, r, ro);
        return equal(t, w, a, ao);
    }

    /** The value, for tests and constants. */
    static BigInteger value(long[] a, int ao) {
        byte[] b = new byte[32];
        toBytes(a, ao, b, 0);
        return new BigInteger(1, b);
    }

    /** Sets r to v mod p. */
    static void set(long[] r, int ro, BigInteger v) {
        BigInteger m = v.mod(P_BIG);
        set(r, ro, m.longValue(), m.shiftRight(64).longValue(), m.shiftRight(128).longValue(), m.shiftRight(192).longValue());
    }
}
