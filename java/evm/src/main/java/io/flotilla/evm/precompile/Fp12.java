package io.flotilla.evm.precompile;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * F_p¹² for BN254 as polynomials in w modulo w¹² - 18·w⁶ + 82 (w⁶ = 9 + i). The twist maps
 * F_p² into it by a + b·i -> (a - 9b) + b·w⁶. Elements are immutable.
 */
final class Fp12 {
    static final BigInteger P = Bn254.P;
    private static final BigInteger EIGHTEEN = BigInteger.valueOf(18);
    private static final BigInteger EIGHTY_TWO = BigInteger.valueOf(82);
    static final Fp12 ONE = one();

    final BigInteger[] c;

    Fp12(BigInteger[] c) {
        this.c = c;
    }

    private static Fp12 one() {
        BigInteger[] c = zeros();
        c[0] = BigInteger.ONE;
        return new Fp12(c);
    }

    static BigInteger[] zeros() {
        BigInteger[] c = new BigInteger[12];
        Arrays.fill(c, BigInteger.ZERO);
        return c;
    }

    /** Places an F_p² element times w^k (k <= 5). */
    static void place(BigInteger[] c, Fp2 e, int k) {
        c[k] = c[k].add(e.a().subtract(e.b().multiply(BigInteger.valueOf(9)))).mod(P);
        c[k + 6] = c[k + 6].add(e.b()).mod(P);
    }

    Fp12 mul(Fp12 o) {
        BigInteger[] r = new BigInteger[23];
        Arrays.fill(r, BigInteger.ZERO);
        for (int i = 0; i < 12; i++) {
            if (c[i].signum() == 0) continue;
            for (int j = 0; j < 12; j++) {
                if (o.c[j].signum() == 0) continue;
                r[i + j] = r[i + j].add(c[i].multiply(o.c[j]));
            }
        }
        return reduce(r);
    }

    private static Fp12 reduce(BigInteger[] r) {
        for (int k = 22; k >= 12; k--) {
            if (r[k].signum() == 0) continue;
            BigInteger t = r[k].mod(P);
            r[k - 6] = r[k - 6].add(t.multiply(EIGHTEEN));
            r[k - 12] = r[k - 12].subtract(t.multiply(EIGHTY_TWO));
        }
        BigInteger[] out = new BigInteger[12];
        for (int i = 0; i < 12; i++) out[i] = r[i].mod(P);
        return new Fp12(out);
    }

    Fp12 pow(BigInteger e) {
        Fp12 r = ONE;
        for (int i = e.bitLength() - 1; i >= 0; i--) {
            r = r.mul(r);
            if (e.testBit(i)) r = r.mul(this);
        }
        return r;
    }

    /** Inverse by solving (multiplication-by-this) · x = 1 with Gaussian elimination over F_p. */
    Fp12 inv() {
        BigInteger[][] m = new BigInteger[12][13];
        for (int j = 0; j < 12; j++) {
            BigInteger[] basis = zeros();
            basis[j] = BigInteger.ONE;
            Fp12 col = this.mul(new Fp12(basis));
            for (int i = 0; i < 12; i++) m[i][j] = col.c[i];
        }
        for (int i = 0; i < 12; i++) m[i][12] = i == 0 ? BigInteger.ONE : BigInteger.ZERO;
        for (int col = 0; col < 12; col++) {
            int pivot = col;
            while (pivot < 12 && m[pivot][col].signum() == 0) pivot++;
            if (pivot == 12) throw new ArithmeticException("not invertible");
            BigInteger[] tmp = m[col];
            m[col] = m[pivot];
            m[pivot] = tmp;
            BigInteger invPivot = m[col][col].modInverse(P);
            for (int k = col; k < 13; k++) m[col][k] = m[col][k].multiply(invPivot).mod(P);
            for (int row = 0; row < 12; row++) {
                if (row == col || m[row][col].signum() == 0) continue;
                BigInteger f = m[row][col];
                for (int k = col; k < 13; k++) m[row][k] = m[row][k].subtract(f.multiply(m[col][k])).mod(P);
            }
        }
        BigInteger[] out = new BigInteger[12];
        for (int i = 0; i < 12; i++) out[i] = m[i][12];
        return new Fp12(out);
    }

    boolean isOne() {
        if (!c[0].equals(BigInteger.ONE)) return false;
        for (int i = 1; i < 12; i++) if (c[i].signum() != 0) return false;
        return true;
    }
}
