package io.flotilla.evm.vm;

/**
 * Unsigned long division on little-endian 32-bit digit arrays (Knuth, TAOCP vol. 2, algorithm D),
 * so 256-bit DIV/MOD and the 512-bit intermediates of MULMOD/ADDMOD need no BigInteger.
 */
final class WideDivision {
    private static final long MASK = 0xFFFFFFFFL;

    private WideDivision() {
    }

    private static int length(int[] d) {
        int n = d.length;
        while (n > 0 && d[n - 1] == 0) n--;
        return n;
    }

    /**
     * Divides u by v (v non-zero), writing the quotient into q (length >= u.length) and the
     * remainder into r (length >= v.length). Inputs are not modified.
     */
    static void divmod(int[] u, int[] v, int[] q, int[] r) {
        java.util.Arrays.fill(q, 0);
        java.util.Arrays.fill(r, 0);
        int m = length(u);
        int n = length(v);
        if (n == 0) throw new ArithmeticException("division by zero");
        if (m < n) {
            System.arraycopy(u, 0, r, 0, m);
            return;
        }
        if (n == 1) {
            long divisor = v[0] & MASK;
            long rem = 0;
            for (int j = m - 1; j >= 0; j--) {
                long num = (rem << 32) | (u[j] & MASK);
                q[j] = (int) Long.divideUnsigned(num, divisor);
                rem = Long.remainderUnsigned(num, divisor);
            }
            r[0] = (int) rem;
            return;
        }
        // Normalise so the divisor's top digit has its high bit set.
        int s = Integer.numberOfLeadingZeros(v[n - 1]);
        long[] vn = new long[n];
        for (int i = n - 1; i > 0; i--) vn[i] = ((v[i] << s) | (s == 0 ? 0 : v[i - 1] >>> (32 - s))) & MASK;
        vn[0] = (v[0] << s) & MASK;
        long[] un = new long[m + 1];
        un[m] = s == 0 ? 0 : (u[m - 1] >>> (32 - s)) & MASK;
        for (int i = m - 1; i > 0; i--) un[i] = ((u[i] << s) | (s == 0 ? 0 : u[i - 1] >>> (32 - s))) & MASK;
        un[0] = (u[0] << s) & MASK;

        for (int j = m - n; j >= 0; j--) {
            long num = (un[j + n] << 32) | un[j + n - 1];
            long qhat = Long.divideUnsigned(num, vn[n - 1]);
            long rhat = Long.remainderUnsigned(num, vn[n - 1]);
            while (qhat > MASK || Long.compareUnsigned(qhat * vn[n - 2], (rhat << 32) | un[j + n - 2]) > 0) {
                qhat--;
                rhat += vn[n - 1];
                if (rhat > MASK) break;
            }
            long borrow = 0;
            long t;
            for (int i = 0; i < n; i++) {
                long p = qhat * vn[i];
                t = un[i + j] - borrow - (p & MASK);
                un[i + j] = t & MASK;
                borrow = (p >>> 32) - (t >> 32);
            }
            t = un[j + n] - borrow;
            un[j + n] = t & MASK;
            if (t < 0) {
                // qhat was one too large: add the divisor back.
                qhat--;
                long carry = 0;
                for (int i = 0; i < n; i++) {
                    t = un[i + j] + vn[i] + carry;
                    un[i + j] = t & MASK;
                    carry = t >>> 32;
                }
                un[j + n] = (un[j + n] + carry) & MASK;
            }
            q[j] = (int) qhat;
        }
        for (int i = 0; i < n; i++) {
            long lo = un[i] >>> s;
            long hi = s == 0 ? 0 : (un[i + 1] << (32 - s)) & MASK;
            r[i] = (int) (lo | hi);
        }
    }

    /** Stack word at p as eight 32-bit digits. */
    static int[] digits(long[] s, int p, int size) {
        int[] d = new int[size];
        for (int i = 0; i < 4; i++) {
            d[2 * i] = (int) s[p + i];
            d[2 * i + 1] = (int) (s[p + i] >>> 32);
        }
        return d;
    }

    /** Writes the low eight digits of d as a word at p. */
    static void store(long[] s, int p, int[] d) {
        for (int i = 0; i < 4; i++) s[p + i] = (d[2 * i] & MASK) | ((long) d[2 * i + 1] << 32);
    }
}
