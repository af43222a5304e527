package io.flotilla.evm.vm;

import java.math.BigInteger;

/**
 * 256-bit arithmetic on the interpreter's long stack: a word at index {@code p} occupies
 * {@code s[p..p+3]}, least significant limb first. Binary operations read operands at
 * {@code a} (top) and {@code b} (second) and write the result at {@code b}.
 * Division-family operations use 64-bit fast paths and {@link WideDivision} for wide operands.
 */
final class UInt256 {
    private UInt256() {
    }

    private static boolean ult(long x, long y) {
        return Long.compareUnsigned(x, y) < 0;
    }

    static void add(long[] s, int a, int b) {
        long r0 = s[a] + s[b];
        long c = ult(r0, s[a]) ? 1 : 0;
        long t = s[a + 1] + s[b + 1];
        long c2 = ult(t, s[a + 1]) ? 1 : 0;
        long r1 = t + c;
        c = c2 | (ult(r1, t) ? 1 : 0);
        t = s[a + 2] + s[b + 2];
        c2 = ult(t, s[a + 2]) ? 1 : 0;
        long r2 = t + c;
        c = c2 | (ult(r2, t) ? 1 : 0);
        long r3 = s[a + 3] + s[b + 3] + c;
        s[b] = r0;
        s[b + 1] = r1;
        s[b + 2] = r2;
        s[b + 3] = r3;
    }

    /** s[b] = s[a] - s[b]. */
    static void sub(long[] s, int a, int b) {
        long x0 = s[a], x1 = s[a + 1], x2 = s[a + 2], x3 = s[a + 3];
        long y0 = s[b], y1 = s[b + 1], y2 = s[b + 2], y3 = s[b + 3];
        long r0 = x0 - y0;
        long br = ult(x0, y0) ? 1 : 0;
        long t = x1 - y1;
        long br2 = ult(x1, y1) ? 1 : 0;
        long r1 = t - br;
        br = br2 | (ult(t, br) ? 1 : 0);
        t = x2 - y2;
        br2 = ult(x2, y2) ? 1 : 0;
        long r2 = t - br;
        br = br2 | (ult(t, br) ? 1 : 0);
        long r3 = x3 - y3 - br;
        s[b] = r0;
        s[b + 1] = r1;
        s[b + 2] = r2;
        s[b + 3] = r3;
    }

    static void mul(long[] s, int a, int b) {
        long a0 = s[a], a1 = s[a + 1], a2 = s[a + 2], a3 = s[a + 3];
        long b0 = s[b], b1 = s[b + 1], b2 = s[b + 2], b3 = s[b + 3];
        mulInto(a0, a1, a2, a3, b0, b1, b2, b3, s, b);
    }

    /** Low 256 bits of x*y written at out: schoolbook rows, dropping every partial product above 2^256. */
    static void mulInto(long x0, long x1, long x2, long x3, long y0, long y1, long y2, long y3, long[] out, int o) {
        long r0 = x0 * y0;
        long c = Math.unsignedMultiplyHigh(x0, y0);
        long t = x0 * y1;
        long r1 = t + c;
        c = Math.unsignedMultiplyHigh(x0, y1) + (ult(r1, t) ? 1 : 0);
        t = x0 * y2;
        long r2 = t + c;
        c = Math.unsignedMultiplyHigh(x0, y2) + (ult(r2, t) ? 1 : 0);
        long r3 = x0 * y3 + c;

        t = x1 * y0;
        r1 += t;
        c = Math.unsignedMultiplyHigh(x1, y0) + (ult(r1, t) ? 1 : 0);
        t = x1 * y1;
        long sum = r2 + t;
        long k = ult(sum, t) ? 1 : 0;
        long sumC = sum + c;
        k += ult(sumC, sum) ? 1 : 0;
        r2 = sumC;
        c = Math.unsignedMultiplyHigh(x1, y1) + k;
        r3 += x1 * y2 + c;

        t = x2 * y0;
        r2 += t;
        c = Math.unsignedMultiplyHigh(x2, y0) + (ult(r2, t) ? 1 : 0);
        r3 += x2 * y1 + c;

        r3 += x3 * y0;
        out[o] = r0;
        out[o + 1] = r1;
        out[o + 2] = r2;
        out[o + 3] = r3;
    }

    static boolean isZero(long[] s, int p) {
        return (s[p] | s[p + 1] | s[p + 2] | s[p + 3]) == 0;
    }

    private static boolean fits64(long[] s, int p) {
        return (s[p + 1] | s[p + 2] | s[p + 3]) == 0;
    }

    static void set(long[] s, int p, long v0, long v1, long v2, long v3) {
        s[p] = v0;
        s[p + 1] = v1;
        s[p + 2] = v2;
        s[p + 3] = v3;
    }

    /** For tests and diagnostics; the opcodes never convert to BigInteger. */
    static BigInteger toBig(long[] s, int p) {
        byte[] b = new byte[33];
        for (int limb = 0; limb < 4; limb++) {
            long v = s[p + limb];
            for (int i = 0; i < 8; i++) {
                b[32 - limb * 8 - i] = (byte) (v >>> (8 * i));
            }
        }
        return new BigInteger(b);
    }

    private static final BigInteger TWO_256 = BigInteger.ONE.shiftLeft(256);

    static void fromBig(long[] s, int p, BigInteger v) {
        if (v.signum() < 0) v = v.add(TWO_256);
        s[p] = v.longValue();
        s[p + 1] = v.shiftRight(64).longValue();
        s[p + 2] = v.shiftRight(128).longValue();
        s[p + 3] = v.shiftRight(192).longValue();
    }

    static int compare(long[] s, int a, int b) {
        for (int i = 3; i >= 0; i--) {
            int c = Long.compareUnsigned(s[a + i], s[b + i]);
            if (c != 0) return c;
        }
        return 0;
    }

    static int compareSigned(long[] s, int a, int b) {
        int c = Long.compare(s[a + 3], s[b + 3]);
        if (c != 0) return c;
        for (int i = 2; i >= 0; i--) {
            c = Long.compareUnsigned(s[a + i], s[b + i]);
            if (c != 0) return c;
        }
        return 0;
    }

    /** s[b] = s[a] / s[b], zero when dividing by zero. */
    static void div(long[] s, int a, int b) {
        if (isZero(s, b)) return;
        if (fits64(s, a) && fits64(s, b)) {
            s[b] = Long.divideUnsigned(s[a], s[b]);
            return;
        }
        if (compare(s, a, b) < 0) {
            set(s, b, 0, 0, 0, 0);
            return;
        }
        int[] q = new int[8], r = new int[8];
        WideDivision.divmod(WideDivision.digits(s, a, 8), WideDivision.digits(s, b, 8), q, r);
        WideDivision.store(s, b, q);
    }

    static void mod(long[] s, int a, int b) {
        if (isZero(s, b)) return;
        if (fits64(s, a) && fits64(s, b)) {
            s[b] = Long.remainderUnsigned(s[a], s[b]);
            return;
        }
        if (compare(s, a, b) < 0) {
            System.arraycopy(s, a, s, b, 4);
            return;
        }
        int[] q = new int[8], r = new int[8];
        WideDivision.divmod(WideDivision.digits(s, a, 8), WideDivision.digits(s, b, 8), q, r);
        WideDivision.store(s, b, r);
    }

    static void sdiv(long[] s, int a, int b) {
        if (isZero(s, b)) return;
        if (fits64(s, a) && fits64(s, b) && s[a] >= 0 && s[b] >= 0) {
            s[b] = s[a] / s[b];
            return;
        }
        // Truncated division on magnitudes; MIN / -1 wraps back to MIN as the spec requires.
        boolean negA = s[a + 3] < 0, negB = s[b + 3] < 0;
        long[] t = new long[8];
        System.arraycopy(s, a, t, 4, 4);
        System.arraycopy(s, b, t, 0, 4);
        if (negA) negate(t, 4);
        if (negB) negate(t, 0);
        div(t, 4, 0);
        if (negA != negB) negate(t, 0);
        System.arraycopy(t, 0, s, b, 4);
    }

    static void smod(long[] s, int a, int b) {
        if (isZero(s, b)) return;
        if (fits64(s, a) && fits64(s, b) && s[a] >= 0 && s[b] >= 0) {
            s[b] = s[a] % s[b];
            return;
        }
        // The remainder takes the sign of the dividend.
        boolean negA = s[a + 3] < 0;
        long[] t = new long[8];
        System.arraycopy(s, a, t, 4, 4);
        System.arraycopy(s, b, t, 0, 4);
        if (negA) negate(t, 4);
        if (t[3] < 0) negate(t, 0);
        mod(t, 4, 0);
        if (negA) negate(t, 0);
        System.arraycopy(t, 0, s, b, 4);
    }

    /** Two's complement negation in place. */
    static void negate(long[] s, int p) {
        long carry = 1;
        for (int i = 0; i < 4; i++) {
            long v = ~s[p + i] + carry;
            carry = (carry == 1 && v == 0) ? 1 : 0;
            s[p + i] = v;
        }
    }

    /** (s[a] + s[b]) mod s[c], result at c. */
    static void addmod(long[] s, int a, int b, int c) {
        if (isZero(s, c)) return;
        if (fits64(s, a) && fits64(s, b) && fits64(s, c) && s[a] >= 0 && s[b] >= 0 && s[c] > 0) {
            long n = s[c];
            long x = s[a] % n, y = s[b] % n;
            long r = x + y; // both < 2^63, so no overflow
            s[c] = Long.remainderUnsigned(r, n);
            return;
        }
        // The 257-bit sum as nine digits.
        int[] u = WideDivision.digits(s, a, 9);
        int[] y = WideDivision.digits(s, b, 9);
        long carry = 0;
        for (int i = 0; i < 9; i++) {
            long t = (u[i] & 0xFFFFFFFFL) + (y[i] & 0xFFFFFFFFL) + carry;
            u[i] = (int) t;
            carry = t >>> 32;
        }
        int[] q = new int[9], r = new int[8];
        WideDivision.divmod(u, WideDivision.digits(s, c, 8), q, r);
        WideDivision.store(s, c, r);
    }

    static void mulmod(long[] s, int a, int b, int c) {
        if (isZero(s, c)) return;
        if (fits64(s, a) && fits64(s, b) && fits64(s, c) && Long.compareUnsigned(s[a], 0xFFFFFFFFL) <= 0
                && Long.compareUnsigned(s[b], 0xFFFFFFFFL) <= 0) {
            s[c] = Long.remainderUnsigned(s[a] * s[b], s[c]);
            return;
        }
        // The full 512-bit product as sixteen digits.
        int[] x = WideDivision.digits(s, a, 8);
        int[] y = WideDivision.digits(s, b, 8);
        int[] prod = new int[16];
        for (int i = 0; i < 8; i++) {
            long carry = 0;
            long xi = x[i] & 0xFFFFFFFFL;
            for (int j = 0; j < 8; j++) {
                long t = xi * (y[j] & 0xFFFFFFFFL) + (prod[i + j] & 0xFFFFFFFFL) + carry;
                prod[i + j] = (int) t;
                carry = t >>> 32;
            }
            prod[i + 8] = (int) carry;
        }
        int[] q = new int[16], r = new int[8];
        WideDivision.divmod(prod, WideDivision.digits(s, c, 8), q, r);
        WideDivision.store(s, c, r);
    }

    /** base s[a] ** exponent s[b], result at b (square-and-multiply on limbs). */
    static void exp(long[] s, int a, int b) {
        long[] base = {s[a], s[a + 1], s[a + 2], s[a + 3]};
        long[] e = {s[b], s[b + 1], s[b + 2], s[b + 3]};
        long[] r = {1, 0, 0, 0};
        int bits = bitLength(e);
        for (int i = bits - 1; i >= 0; i--) {
            mulInto(r[0], r[1], r[2], r[3], r[0], r[1], r[2], r[3], r, 0);
            if (((e[i >>> 6] >>> (i & 63)) & 1) != 0) {
                mulInto(r[0], r[1], r[2], r[3], base[0], base[1], base[2], base[3], r, 0);
            }
        }
        System.arraycopy(r, 0, s, b, 4);
    }

    static int bitLength(long[] w) {
        for (int i = 3; i >= 0; i--) {
            if (w[i] != 0) return i * 64 + 64 - Long.numberOfLeadingZeros(w[i]);
        }
        return 0;
    }

    /** Number of significant bytes of the word at p (EXP gas). */
    static int byteLength(long[] s, int p) {
        for (int i = 3; i >= 0; i--) {
            if (s[p + i] != 0) return i * 8 + (64 - Long.numberOfLeadingZeros(s[p + i]) + 7) / 8;
        }
        return 0;
    }

    /** SIGNEXTEND: extends the sign of byte s[a] (from the right) of the word at b. */
    static void signextend(long[] s, int a, int b) {
        if (!fits64(s, a) || Long.compareUnsigned(s[a], 31) >= 0) return;
        int bit = (int) s[a] * 8 + 7;
        int limb = bit >>> 6;
        int within = bit & 63;
        boolean neg = ((s[b + limb] >>> within) & 1) != 0;
        long mask = within == 63 ? 0 : (-1L << (within + 1));
        s[b + limb] = neg ? (s[b + limb] | mask) : (s[b + limb] & ~mask);
        for (int i = limb + 1; i < 4; i++) s[b + i] = neg ? -1L : 0;
    }

    /** BYTE: byte s[a] (0 = most significant) of the word at b. */
    static void byteOp(long[] s, int a, int b) {
        long r = 0;
        if (fits64(s, a) && Long.compareUnsigned(s[a], 32) < 0) {
            int fromRight = 31 - (int) s[a];
            r = (s[b + (fromRight >>> 3)] >>> ((fromRight & 7) * 8)) & 0xFF;
        }
        set(s, b, r, 0, 0, 0);
    }

    /** SHL: value at b shifted left by s[a]. */
    static void shl(long[] s, int a, int b) {
        if (!fits64(s, a) || Long.compareUnsigned(s[a], 256) >= 0) {
            set(s, b, 0, 0, 0, 0);
            return;
        }
        int shift = (int) s[a];
        int n = shift >>> 6, m = shift & 63;
        long[] v = {s[b], s[b + 1], s[b + 2], s[b + 3]};
        for (int k = 3; k >= 0; k--) {
            int src = k - n;
            long x = src >= 0 ? v[src] << m : 0;
            if (m != 0 && src - 1 >= 0) x |= v[src - 1] >>> (64 - m);
            s[b + k] = x;
        }
    }

    static void shr(long[] s, int a, int b) {
        if (!fits64(s, a) || Long.compareUnsigned(s[a], 256) >= 0) {
            set(s, b, 0, 0, 0, 0);
            return;
        }
        shiftRight(s, b, (int) s[a], 0);
    }

    static void sar(long[] s, int a, int b) {
        long fill = s[b + 3] < 0 ? -1L : 0;
        if (!fits64(s, a) || Long.compareUnsigned(s[a], 256) >= 0) {
            set(s, b, fill, fill, fill, fill);
            return;
        }
        shiftRight(s, b, (int) s[a], fill);
    }

    private static void shiftRight(long[] s, int b, int shift, long fill) {
        int n = shift >>> 6, m = shift & 63;
        long[] v = {s[b], s[b + 1], s[b + 2], s[b + 3], fill};
        for (int k = 0; k < 4; k++) {
            int src = k + n;
            long lo = src < 4 ? v[src] : fill;
            long hi = src + 1 < 4 ? v[src + 1] : fill;
            s[b + k] = m == 0 ? lo : (lo >>> m) | (hi << (64 - m));
        }
    }
}
