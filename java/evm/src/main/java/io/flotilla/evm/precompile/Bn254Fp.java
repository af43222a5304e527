package io.flotilla.evm.precompile;

import io.flotilla.evm.crypto.BinaryInverse;
import java.math.BigInteger;

/**
 * The alt_bn128 (BN254) base field F_p: elements are 4 little-endian 64-bit limbs in Montgomery form (a·2^256 mod p),
 * always fully reduced, stored at an offset in a long[] so that F_p², F_p⁶ and F_p¹² elements are flat arrays.
 * No method allocates except the inversion; an output may alias its inputs.
 */
final class Bn254Fp {
    static final BigInteger P_BIG = new BigInteger("21888242871839275222246405745257275088696311157297823662689037894645226208583");
    static final long P0 = 0x3c208c16d87cfd47L, P1 = 0x97816a916871ca8dL, P2 = 0xb85045b68181585dL, P3 = 0x30644e72e131a029L;
    /** -p^-1 mod 2^64. */
    private static final long INV = 0x87d20782e4866389L;
    /** 2^512 mod p and 2^768 mod p: into Montgomery form, and to fix up an inverse. */
    private static final long[] R2 = {0xf32cfc5b538afa89L, 0xb5e71911d44501fbL, 0x47ab1eff0a417ff6L, 0x06d89f71cab8351fL};
    private static final long[] R3 = {0xb1cd6dafda1530dfL, 0x62f210e6a7283db6L, 0xef7f0b0c0ada0afbL, 0x20fd6e902d592544L};
    /** 1 in Montgomery form (2^256 mod p). */
    static final long[] ONE = {0xd35d438dc58f0d9dL, 0x0a78eb28f5c70b3dL, 0x666ea36f7879462cL, 0x0e0a77c19a07df2fL};
    private static final long[] RAW_ONE = {1, 0, 0, 0};

    private Bn254Fp() {
    }

    /** r = a·b. */
    static void mul(long[] r, int ro, long[] a, int ao, long[] b, int bo) {
        long a0 = a[ao], a1 = a[ao + 1], a2 = a[ao + 2], a3 = a[ao + 3];
        long t0, t1, t2, t3, t4, c, m, lo, hi, s;
        // round 0
        long bi0 = b[bo + 0];
        lo = a0 * bi0; hi = Math.unsignedMultiplyHigh(a0, bi0);
        t0 = lo; c = hi;
        lo = a1 * bi0; hi = Math.unsignedMultiplyHigh(a1, bi0);
        s = lo + c; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t1 = s; c = hi;
        lo = a2 * bi0; hi = Math.unsignedMultiplyHigh(a2, bi0);
        s = lo + c; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t2 = s; c = hi;
        lo = a3 * bi0; hi = Math.unsignedMultiplyHigh(a3, bi0);
        s = lo + c; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L); t3 = s; c = hi;
        t4 = c;
        m = t0 * INV;
        lo = m * P0; hi = Math.unsignedMultiplyHigh(m, P0);
        s = lo + t0; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = m * P1; hi = Math.unsignedMultiplyHigh(m, P1);
        s = lo + t1; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t0 = lo; c = hi;
        lo = m * P2; hi = Math.unsignedMultiplyHigh(m, P2);
        s = lo + t2; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t1 = lo; c = hi;
        lo = m * P3; hi = Math.unsignedMultiplyHigh(m, P3);
        s = lo + t3; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t2 = lo; c = hi;
        t3 = t4 + c;
        // round 1
        long bi1 = b[bo + 1];
        lo = a0 * bi1; hi = Math.unsignedMultiplyHigh(a0, bi1);
        s = lo + t0; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        t0 = s; c = hi;
        lo = a1 * bi1; hi = Math.unsignedMultiplyHigh(a1, bi1);
        s = lo + t1; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t1 = lo; c = hi;
        lo = a2 * bi1; hi = Math.unsignedMultiplyHigh(a2, bi1);
        s = lo + t2; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t2 = lo; c = hi;
        lo = a3 * bi1; hi = Math.unsignedMultiplyHigh(a3, bi1);
        s = lo + t3; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t3 = lo; c = hi;
        t4 = c;
        m = t0 * INV;
        lo = m * P0; hi = Math.unsignedMultiplyHigh(m, P0);
        s = lo + t0; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = m * P1; hi = Math.unsignedMultiplyHigh(m, P1);
        s = lo + t1; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t0 = lo; c = hi;
        lo = m * P2; hi = Math.unsignedMultiplyHigh(m, P2);
        s = lo + t2; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t1 = lo; c = hi;
        lo = m * P3; hi = Math.unsignedMultiplyHigh(m, P3);
        s = lo + t3; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t2 = lo; c = hi;
        t3 = t4 + c;
        // round 2
        long bi2 = b[bo + 2];
        lo = a0 * bi2; hi = Math.unsignedMultiplyHigh(a0, bi2);
        s = lo + t0; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        t0 = s; c = hi;
        lo = a1 * bi2; hi = Math.unsignedMultiplyHigh(a1, bi2);
        s = lo + t1; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t1 = lo; c = hi;
        lo = a2 * bi2; hi = Math.unsignedMultiplyHigh(a2, bi2);
        s = lo + t2; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t2 = lo; c = hi;
        lo = a3 * bi2; hi = Math.unsignedMultiplyHigh(a3, bi2);
        s = lo + t3; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t3 = lo; c = hi;
        t4 = c;
        m = t0 * INV;
        lo = m * P0; hi = Math.unsignedMultiplyHigh(m, P0);
        s = lo + t0; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = m * P1; hi = Math.unsignedMultiplyHigh(m, P1);
        s = lo + t1; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t0 = lo; c = hi;
        lo = m * P2; hi = Math.unsignedMultiplyHigh(m, P2);
        s = lo + t2; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t1 = lo; c = hi;
        lo = m * P3; hi = Math.unsignedMultiplyHigh(m, P3);
        s = lo + t3; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t2 = lo; c = hi;
        t3 = t4 + c;
        // round 3
        long bi3 = b[bo + 3];
        lo = a0 * bi3; hi = Math.unsignedMultiplyHigh(a0, bi3);
        s = lo + t0; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        t0 = s; c = hi;
        lo = a1 * bi3; hi = Math.unsignedMultiplyHigh(a1, bi3);
        s = lo + t1; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t1 = lo; c = hi;
        lo = a2 * bi3; hi = Math.unsignedMultiplyHigh(a2, bi3);
        s = lo + t2; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t2 = lo; c = hi;
        lo = a3 * bi3; hi = Math.unsignedMultiplyHigh(a3, bi3);
        s = lo + t3; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t3 = lo; c = hi;
        t4 = c;
        m = t0 * INV;
        lo = m * P0; hi = Math.unsignedMultiplyHigh(m, P0);
        s = lo + t0; c = hi + (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = m * P1; hi = Math.unsignedMultiplyHigh(m, P1);
        s = lo + t1; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t0 = lo; c = hi;
        lo = m * P2; hi = Math.unsignedMultiplyHigh(m, P2);
        s = lo + t2; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t1 = lo; c = hi;
        lo = m * P3; hi = Math.unsignedMultiplyHigh(m, P3);
        s = lo + t3; hi += (Long.compareUnsigned(s, lo) < 0 ? 1L : 0L);
        lo = s + c; hi += (Long.compareUnsigned(lo, s) < 0 ? 1L : 0L); t2 = lo; c = hi;
        t3 = t4 + c;
        reduceOnce(r, ro, t0, t1, t2, t3);
    }

    static void sqr(long[] r, int ro, long[] a, int ao) {
        mul(r, ro, a, ao, a, ao);
    }

    /** Stores t - p if t >= p (t < 2p), else t. */
    private static void reduceOnce(long[] r, int ro, long t0, long t1, long t2, long t3) {
        long d0 = t0 - P0;
        long b = ((~t0 & P0) | ((~t0 | P0) & d0)) >>> 63;
        long x = t1 - P1;
        long d1 = x - b;
        b = (((~t1 & P1) | ((~t1 | P1) & x)) >>> 63) | (((~x & b) | ((~x | b) & d1)) >>> 63);
        x = t2 - P2;
        long d2 = x - b;
        b = (((~t2 & P2) | ((~t2 | P2) & x)) >>> 63) | (((~x & b) | ((~x | b) & d2)) >>> 63);
        x = t3 - P3;
        long d3 = x - b;
        b = (((~t3 & P3) | ((~t3 | P3) & x)) >>> 63) | (((~x & b) | ((~x | b) & d3)) >>> 63);
        // branch-free select (the outcome is data-dependent and would mispredict half the time): t if borrow, else d
        long keep = -b;
        r[ro] = d0 ^ ((d0 ^ t0) & keep);
        r[ro + 1] = d1 ^ ((d1 ^ t1) & keep);
        r[ro + 2] = d2 ^ ((d2 ^ t2) & keep);
        r[ro + 3] = d3 ^ ((d3 ^ t3) & keep);
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
        long s3 = a[ao + 3] + b[bo + 3] + c; // < 2^255: no carry out
        reduceOnce(r, ro, s0, s1, s2, s3);
    }

    /** r = 2a. */
    static void dbl(long[] r, int ro, long[] a, int ao) {
        add(r, ro, a, ao, a, ao);
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
        // add p back on borrow, branch-free
        long mask = -bw;
        long q0 = P0 & mask, q1 = P1 & mask, q2 = P2 & mask, q3 = P3 & mask;
        long s0 = d0 + q0;
        long c = ((d0 & q0) | ((d0 | q0) & ~s0)) >>> 63;
        long s = d1 + q1;
        long s1 = s + c;
        c = (((d1 & q1) | ((d1 | q1) & ~s)) >>> 63) | (((s & c) | ((s | c) & ~s1)) >>> 63);
        s = d2 + q2;
        long s2 = s + c;
        c = (((d2 & q2) | ((d2 | q2) & ~s)) >>> 63) | (((s & c) | ((s | c) & ~s2)) >>> 63);
        d0 = s0;
        d1 = s1;
        d2 = s2;
        d3 = d3 + q3 + c;
        r[ro] = d0;
        r[ro + 1] = d1;
        r[ro + 2] = d2;
        r[ro + 3] = d3;
    }

    /** r = -a. */
    static void neg(long[] r, int ro, long[] a, int ao) {
        if (isZero(a, ao)) {
            setZero(r, ro);
            return;
        }
        long x = a[ao];
        long d0 = P0 - x;
        long bw = ((~P0 & x) | ((~P0 | x) & d0)) >>> 63;
        x = a[ao + 1];
        long t = P1 - x;
        long d1 = t - bw;
        bw = (((~P1 & x) | ((~P1 | x) & t)) >>> 63) | (((~t & bw) | ((~t | bw) & d1)) >>> 63);
        x = a[ao + 2];
        t = P2 - x;
        long d2 = t - bw;
        bw = (((~P2 & x) | ((~P2 | x) & t)) >>> 63) | (((~t & bw) | ((~t | bw) & d2)) >>> 63);
        long d3 = P3 - a[ao + 3] - bw;
        r[ro] = d0;
        r[ro + 1] = d1;
        r[ro + 2] = d2;
        r[ro + 3] = d3;
    }

    static boolean isZero(long[] a, int ao) {
        return (a[ao] | a[ao + 1] | a[ao + 2] | a[ao + 3]) == 0;
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
        copy(r, ro, ONE, 0);
    }

    /**
     * Reads a 32-byte big-endian integer into Montgomery form; false (r untouched or partly written) when it is
     * not below p.
     */
    static boolean fromBytes(long[] r, int ro, byte[] in, int off) {
        long l3 = getLong(in, off), l2 = getLong(in, off + 8), l1 = getLong(in, off + 16), l0 = getLong(in, off + 24);
        if (!lessThanP(l0, l1, l2, l3)) return false;
        r[ro] = l0;
        r[ro + 1] = l1;
        r[ro + 2] = l2;
        r[ro + 3] = l3;
        mul(r, ro, r, ro, R2, 0);
        return true;
    }

    /** Writes a as a 32-byte big-endian integer (out of Montgomery form). */
    static void toBytes(long[] a, int ao, byte[] out, int off) {
        toBytes(a, ao, out, off, new long[4], 0);
    }

    /** As {@link #toBytes(long[], int, byte[], int)} with 4 longs of caller scratch at t[to..]. */
    static void toBytes(long[] a, int ao, byte[] out, int off, long[] t, int to) {
        mul(t, to, a, ao, RAW_ONE, 0);
        putLong(out, off, t[to + 3]);
        putLong(out, off + 8, t[to + 2]);
        putLong(out, off + 16, t[to + 1]);
        putLong(out, off + 24, t[to]);
    }

    private static boolean lessThanP(long l0, long l1, long l2, long l3) {
        if (l3 != P3) return Long.compareUnsigned(l3, P3) < 0;
        if (l2 != P2) return Long.compareUnsigned(l2, P2) < 0;
        if (l1 != P1) return Long.compareUnsigned(l1, P1) < 0;
        return Long.compareUnsigned(l0, P0) < 0;
    }

    static long getLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (b[off + i] & 0xFF);
        return v;
    }

    static void putLong(byte[] b, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            b[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    private static final BinaryInverse INVERSE = new BinaryInverse(P_BIG);

    /** r = a^-1 (a nonzero; ArithmeticException for zero). */
    static void inv(long[] r, int ro, long[] a, int ao) {
        // a = x·R; the raw inverse is a^-1 = x^-1·R^-1, and one multiplication by R³ yields x^-1·R.
        long[] t = new long[4];
        if (!INVERSE.inverse(t, 0, a, ao)) throw new ArithmeticException("inverse of zero");
        mul(r, ro, t, 0, R3, 0);
    }

    /** The value (out of Montgomery form), for tests and constants. */
    static BigInteger value(long[] a, int ao) {
        byte[] b = new byte[32];
        toBytes(a, ao, b, 0);
        return new BigInteger(1, b);
    }

    /** Sets r to a small or big integer value (below p). */
    static void set(long[] r, int ro, BigInteger v) {
        byte[] b = new byte[32];
        byte[] raw = v.mod(P_BIG).toByteArray();
        int n = Math.min(32, raw.length);
        System.arraycopy(raw, raw.length - n, b, 32 - n, n);
        fromBytes(r, ro, b, 0);
    }
}
