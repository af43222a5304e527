package io.flotilla.evm.precompile;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * F_p¹² as polynomials in w modulo w¹² - 2k·w⁶ + (k² + 1), where w⁶ = k + i embeds F_p² by
 * a + b·i -> (a - k·b) + b·w⁶ (k = 9 for BN254, k = 1 for BLS12-381). Elements are immutable.
 */
final class Fp12 {
    /** The tower for one curve: its prime and the embedding constant k. */
    record Tower(BigInteger p, BigInteger k) {
        Fp12 one() {
            BigInteger[] c = zeros();
            c[0] = BigInteger.ONE;
            return new Fp12(this, c);
        }

        Fp12 of(BigInteger[] c) {
            return new Fp12(this, c);
        }
    }

    final Tower t;
    final BigInteger[] c;

    Fp12(Tower t, BigInteger[] c) {
        this.t = t;
        this.c = c;
    }

    static BigInteger[] zeros() {
        BigInteger[] c = new BigInteger[12];
        Arrays.fill(c, BigInteger.ZERO);
        return c;
    }

    /** Places an F_p² element times w^k (k <= 5). */
    static void place(Tower t, BigInteger[] c, Fp2 e, int k) {
        c[k] = c[k].add(e.a().subtract(e.b().multiply(t.k()))).mod(t.p());
        c[k + 6] = c[k + 6].add(e.b()).mod(t.p());
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

    /** Folds w^12 = 2k·w^6 - (k² + 1) into the low twelve coefficients. */
    private Fp12 reduce(BigInteger[] r) {
        BigInteger p = t.p();
        BigInteger twoK = t.k().shiftLeft(1);
        BigInteger kSquaredPlusOne = t.k().multiply(t.k()).add(BigInteger.ONE);
        for (int k = 22; k >= 12; k--) {
            if (r[k].signum() == 0) continue;
            BigInteger v = r[k].mod(p);
            r[k - 6] = r[k - 6].add(v.multiply(twoK));
            r[k - 12] = r[k - 12].subtract(v.multiply(kSquaredPlusOne));
        }
        BigInteger[] out = new BigInteger[12];
        for (int i = 0; i < 12; i++) out[i] = r[i].mod(p);
        return new Fp12(t, out);
    }

    Fp12 pow(BigInteger e) {
        Fp12 r = t.one();
        for (int i = e.bitLength() - 1; i >= 0; i--) {
            r = r.mul(r);
            if (e.testBit(i)) r = r.mul(this);
        }
        return r;
    }

    /** Inverse by solving (multiplication-by-this) · x = 1 with Gaussian elimination over F_p. */
    Fp12 inv() {
        BigInteger p = t.p();
        BigInteger[][] m = new BigInteger[12][13];
        for (int j = 0; j < 12; j++) {
            BigInteger[] basis = zeros();
            basis[j] = BigInteger.ONE;
            Fp12 col = this.mul(new Fp12(t, basis));
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
            BigInteger invPivot = m[col][col].modInverse(p);
            for (int k = col; k < 13; k++) m[col][k] = m[col][k].multiply(invPivot).mod(p);
            for (int row = 0; row < 12; row++) {
                if (row == col || m[row][col].signum() == 0) continue;
                BigInteger f = m[row][col];
                for (int k = col; k < 13; k++) m[row][k] = m[row][k].subtract(f.multiply(m[col][k])).mod(p);
            }
        }
        BigInteger[] out = new BigInteger[12];
        for (int i = 0; i < 12; i++) out[i] = m[i][12];
        return new Fp12(t, out);
    }

    /** a^p using a table of (w^p)^i for this tower. */
    Fp12 frobenius(Fp12[] table) {
        BigInteger p = t.p();
        BigInteger[] out = zeros();
        for (int i = 0; i < 12; i++) {
            if (c[i].signum() == 0) continue;
            for (int j = 0; j < 12; j++) out[j] = out[j].add(c[i].multiply(table[i].c[j]));
        }
        for (int j = 0; j < 12; j++) out[j] = out[j].mod(p);
        return new Fp12(t, out);
    }

    /** (w^p)^i for i = 0..11, the table {@link #frobenius} needs. */
    static Fp12[] frobeniusTable(Tower t) {
        BigInteger[] wc = zeros();
        wc[1] = BigInteger.ONE;
        Fp12 wp = t.of(wc).pow(t.p());
        Fp12[] table = new Fp12[12];
        table[0] = t.one();
        for (int i = 1; i < 12; i++) table[i] = table[i - 1].mul(wp);
        return table;
    }

    /** f^((p¹² - 1) / r) = ((f^(p⁶ - 1))^(p² + 1))^((p⁴ - p² + 1) / r). */
    Fp12 finalExponentiation(Fp12[] table, BigInteger r) {
        Fp12 x = this;
        for (int i = 0; i < 6; i++) x = x.frobenius(table);
        Fp12 easy = x.mul(inv());
        Fp12 e2 = easy.frobenius(table).frobenius(table).mul(easy);
        BigInteger p = t.p();
        return e2.pow(p.pow(4).subtract(p.pow(2)).add(BigInteger.ONE).divide(r));
    }

    boolean isOne() {
        if (!c[0].equals(BigInteger.ONE)) return false;
        for (int i = 1; i < 12; i++) if (c[i].signum() != 0) return false;
        return true;
    }
}
