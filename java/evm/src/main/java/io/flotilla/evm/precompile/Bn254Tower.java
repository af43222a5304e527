package io.flotilla.evm.precompile;

import java.math.BigInteger;

/**
 * The BN254 extension tower on flat long[] arrays (see {@link Bn254Fp}): F_p² = F_p[u]/(u² + 1) as 8 longs
 * (c0, c1), F_p⁶ = F_p²[v]/(v³ - ξ) with ξ = 9 + u as 24 longs, F_p¹² = F_p⁶[w]/(w² - v) as 48 longs (g, h).
 * An instance owns scratch space, one array per tower level, so that no operation allocates; it is not thread-safe
 * (one per precompile call). Outputs may alias inputs.
 */
final class Bn254Tower {
    /** γ_k = ξ^(k(p-1)/6), k = 0..5: the Frobenius map multiplies the coefficient of w^k by γ_k after conjugation. */
    static final long[] FROBENIUS_GAMMA = new long[6 * 8];

    static {
        Bn254Tower t = new Bn254Tower();
        long[] xi = new long[8];
        Bn254Fp.set(xi, 0, BigInteger.valueOf(9));
        Bn254Fp.setOne(xi, 4);
        long[] g1 = new long[8];
        t.fp2Pow(g1, 0, xi, 0, Bn254Fp.P_BIG.subtract(BigInteger.ONE).divide(BigInteger.valueOf(6)));
        Bn254Fp.setOne(FROBENIUS_GAMMA, 0);
        Bn254Fp.setZero(FROBENIUS_GAMMA, 4);
        for (int k = 1; k < 6; k++) t.fp2Mul(FROBENIUS_GAMMA, 8 * k, FROBENIUS_GAMMA, 8 * (k - 1), g1, 0);
    }

    private final long[] s2 = new long[16];
    private final long[] s6 = new long[7 * 8];
    private final long[] s12 = new long[3 * 24];
    private final long[] s12b = new long[48];
    private final long[] inv = new long[48];

    // ---------------------------------------------------------------- F_p²

    void fp2Add(long[] r, int ro, long[] a, int ao, long[] b, int bo) {
        Bn254Fp.add(r, ro, a, ao, b, bo);
        Bn254Fp.add(r, ro + 4, a, ao + 4, b, bo + 4);
    }

    void fp2Sub(long[] r, int ro, long[] a, int ao, long[] b, int bo) {
        Bn254Fp.sub(r, ro, a, ao, b, bo);
        Bn254Fp.sub(r, ro + 4, a, ao + 4, b, bo + 4);
    }

    void fp2Dbl(long[] r, int ro, long[] a, int ao) {
        Bn254Fp.add(r, ro, a, ao, a, ao);
        Bn254Fp.add(r, ro + 4, a, ao + 4, a, ao + 4);
    }

    void fp2Neg(long[] r, int ro, long[] a, int ao) {
        Bn254Fp.neg(r, ro, a, ao);
        Bn254Fp.neg(r, ro + 4, a, ao + 4);
    }

    void fp2Conj(long[] r, int ro, long[] a, int ao) {
        Bn254Fp.copy(r, ro, a, ao);
        Bn254Fp.neg(r, ro + 4, a, ao + 4);
    }

    static void fp2Copy(long[] r, int ro, long[] a, int ao) {
        System.arraycopy(a, ao, r, ro, 8);
    }

    static boolean fp2IsZero(long[] a, int ao) {
        return Bn254Fp.isZero(a, ao) && Bn254Fp.isZero(a, ao + 4);
    }

    static boolean fp2Equal(long[] a, int ao, long[] b, int bo) {
        return Bn254Fp.equal(a, ao, b, bo) && Bn254Fp.equal(a, ao + 4, b, bo + 4);
    }

    /** Karatsuba: (a0 + a1 u)(b0 + b1 u) = a0b0 - a1b1 + ((a0 + a1)(b0 + b1) - a0b0 - a1b1) u. */
    void fp2Mul(long[] r, int ro, long[] a, int ao, long[] b, int bo) {
        long[] t = s2;
        Bn254Fp.mul(t, 0, a, ao, b, bo);
        Bn254Fp.mul(t, 4, a, ao + 4, b, bo + 4);
        Bn254Fp.add(t, 8, a, ao, a, ao + 4);
        Bn254Fp.add(t, 12, b, bo, b, bo + 4);
        Bn254Fp.mul(t, 8, t, 8, t, 12);
        Bn254Fp.sub(r, ro, t, 0, t, 4);
        Bn254Fp.sub(t, 8, t, 8, t, 0);
        Bn254Fp.sub(r, ro + 4, t, 8, t, 4);
    }

    /** (a0 + a1 u)² = (a0 + a1)(a0 - a1) + 2a0a1 u. */
    void fp2Sqr(long[] r, int ro, long[] a, int ao) {
        long[] t = s2;
        Bn254Fp.add(t, 0, a, ao, a, ao + 4);
        Bn254Fp.sub(t, 4, a, ao, a, ao + 4);
        Bn254Fp.mul(t, 8, a, ao, a, ao + 4);
        Bn254Fp.mul(r, ro, t, 0, t, 4);
        Bn254Fp.add(r, ro + 4, t, 8, t, 8);
    }

    /** r = a·f for f in F_p. */
    void fp2MulFp(long[] r, int ro, long[] a, int ao, long[] f, int fo) {
        Bn254Fp.mul(r, ro, a, ao, f, fo);
        Bn254Fp.mul(r, ro + 4, a, ao + 4, f, fo);
    }

    /** r = a·ξ = (9a0 - a1) + (a0 + 9a1) u. */
    void fp2MulXi(long[] r, int ro, long[] a, int ao) {
        long[] t = s2;
        times9(t, 0, a, ao);
        times9(t, 4, a, ao + 4);
        Bn254Fp.sub(t, 8, t, 0, a, ao + 4);
        Bn254Fp.add(r, ro + 4, t, 4, a, ao);
        Bn254Fp.copy(r, ro, t, 8);
    }

    private static void times9(long[] r, int ro, long[] a, int ao) {
        Bn254Fp.add(r, ro, a, ao, a, ao);
        Bn254Fp.add(r, ro, r, ro, r, ro);
        Bn254Fp.add(r, ro, r, ro, r, ro);
        Bn254Fp.add(r, ro, r, ro, a, ao);
    }

    /** r = 1/a = (a0 - a1 u)/(a0² + a1²); a nonzero. */
    void fp2Inv(long[] r, int ro, long[] a, int ao) {
        long[] t = s2;
        Bn254Fp.sqr(t, 0, a, ao);
        Bn254Fp.sqr(t, 4, a, ao + 4);
        Bn254Fp.add(t, 0, t, 0, t, 4);
        Bn254Fp.inv(t, 0, t, 0);
        Bn254Fp.mul(r, ro, a, ao, t, 0);
        Bn254Fp.mul(t, 4, a, ao + 4, t, 0);
        Bn254Fp.neg(r, ro + 4, t, 4);
    }

    void fp2Pow(long[] r, int ro, long[] a, int ao, BigInteger e) {
        long[] acc = new long[8];
        long[] base = new long[8];
        fp2Copy(base, 0, a, ao);
        Bn254Fp.setOne(acc, 0);
        for (int i = e.bitLength() - 1; i >= 0; i--) {
            fp2Sqr(acc, 0, acc, 0);
            if (e.testBit(i)) fp2Mul(acc, 0, acc, 0, base, 0);
        }
        fp2Copy(r, ro, acc, 0);
    }

    // ---------------------------------------------------------------- F_p⁶

    void fp6Add(long[] r, int ro, long[] a, int ao, long[] b, int bo) {
        for (int i = 0; i < 24; i += 4) Bn254Fp.add(r, ro + i, a, ao + i, b, bo + i);
    }

    void fp6Sub(long[] r, int ro, long[] a, int ao, long[] b, int bo) {
        for (int i = 0; i < 24; i += 4) Bn254Fp.sub(r, ro + i, a, ao + i, b, bo + i);
    }

    void fp6Neg(long[] r, int ro, long[] a, int ao) {
        for (int i = 0; i < 24; i += 4) Bn254Fp.neg(r, ro + i, a, ao + i);
    }

    /** r = a·v = (ξa2, a0, a1). */
    void fp6MulV(long[] r, int ro, long[] a, int ao) {
        long[] t = s6;
        fp2MulXi(t, 0, a, ao + 16);
        fp2Copy(r, ro + 16, a, ao + 8);
        fp2Copy(r, ro + 8, a, ao);
        fp2Copy(r, ro, t, 0);
    }

    /** Karatsuba over F_p²: 6 multiplications. */
    void fp6Mul(long[] r, int ro, long[] a, int ao, long[] b, int bo) {
        long[] t = s6; // t0 = a0b0 (0), t1 = a1b1 (8), t2 = a2b2 (16), x (24), y (32), c (40), z (48)
        fp2Mul(t, 0, a, ao, b, bo);
        fp2Mul(t, 8, a, ao + 8, b, bo + 8);
        fp2Mul(t, 16, a, ao + 16, b, bo + 16);
        // c0 = ((a1 + a2)(b1 + b2) - t1 - t2)ξ + t0
        fp2Add(t, 24, a, ao + 8, a, ao + 16);
        fp2Add(t, 32, b, bo + 8, b, bo + 16);
        fp2Mul(t, 40, t, 24, t, 32);
        fp2Sub(t, 40, t, 40, t, 8);
        fp2Sub(t, 40, t, 40, t, 16);
        fp2MulXi(t, 40, t, 40);
        // c1 = (a0 + a1)(b0 + b1) - t0 - t1 + ξt2, computed before r's c0 is written (r may alias a or b)
        fp2Add(t, 24, a, ao, a, ao + 8);
        fp2Add(t, 32, b, bo, b, bo + 8);
        fp2Mul(t, 24, t, 24, t, 32);
        fp2Sub(t, 24, t, 24, t, 0);
        fp2Sub(t, 24, t, 24, t, 8);
        fp2MulXi(t, 32, t, 16);
        fp2Add(t, 24, t, 24, t, 32);
        // c2 = (a0 + a2)(b0 + b2) - t0 - t2 + t1
        fp2Add(t, 32, a, ao, a, ao + 16);
        fp2Add(t, 16 + 0, t, 16, t, 0); // t0 + t2 (t2 no longer needed alone)
        fp2Add(t, 48, b, bo, b, bo + 16);
        fp2Mul(t, 32, t, 32, t, 48);
        fp2Sub(t, 32, t, 32, t, 16);
        fp2Add(r, ro + 16, t, 32, t, 8);
        fp2Add(r, ro, t, 40, t, 0);
        fp2Copy(r, ro + 8, t, 24);
    }

    /** r = a·(d0 + d1 v), the sparse product of the line functions (Karatsuba: 5 multiplications). */
    void fp6MulSparse01(long[] r, int ro, long[] a, int ao, long[] d, int d0, int d1) {
        long[] t = s6; // t0 = a0d0 (0), t1 = a1d1 (8), x (16), y (24), c0 (32), c1 (40)
        fp2Mul(t, 0, a, ao, d, d0);
        fp2Mul(t, 8, a, ao + 8, d, d1);
        // c1 = (a0 + a1)(d0 + d1) - t0 - t1
        fp2Add(t, 16, a, ao, a, ao + 8);
        fp2Add(t, 24, d, d0, d, d1);
        fp2Mul(t, 40, t, 16, t, 24);
        fp2Sub(t, 40, t, 40, t, 0);
        fp2Sub(t, 40, t, 40, t, 8);
        // c0 = t0 + ξ·a2d1
        fp2Mul(t, 16, a, ao + 16, d, d1);
        fp2MulXi(t, 16, t, 16);
        fp2Add(t, 32, t, 16, t, 0);
        // c2 = t1 + a2d0
        fp2Mul(t, 16, a, ao + 16, d, d0);
        fp2Add(r, ro + 16, t, 16, t, 8);
        fp2Copy(r, ro, t, 32);
        fp2Copy(r, ro + 8, t, 40);
    }

    /** r = a·c for c in F_p². */
    void fp6MulFp2(long[] r, int ro, long[] a, int ao, long[] c, int co) {
        fp2Mul(r, ro, a, ao, c, co);
        fp2Mul(r, ro + 8, a, ao + 8, c, co);
        fp2Mul(r, ro + 16, a, ao + 16, c, co);
    }

    /** r = 1/a (a nonzero). */
    void fp6Inv(long[] r, int ro, long[] a, int ao) {
        long[] t = inv; // c0 (0), c1 (8), c2 (16), x (24), y (32)
        // c0 = a0² - ξa1a2
        fp2Mul(t, 24, a, ao + 8, a, ao + 16);
        fp2MulXi(t, 24, t, 24);
        fp2Sqr(t, 0, a, ao);
        fp2Sub(t, 0, t, 0, t, 24);
        // c1 = ξa2² - a0a1
        fp2Sqr(t, 24, a, ao + 16);
        fp2MulXi(t, 24, t, 24);
        fp2Mul(t, 32, a, ao, a, ao + 8);
        fp2Sub(t, 8, t, 24, t, 32);
        // c2 = a1² - a0a2
        fp2Sqr(t, 24, a, ao + 8);
        fp2Mul(t, 32, a, ao, a, ao + 16);
        fp2Sub(t, 16, t, 24, t, 32);
        // n = a0c0 + ξ(a2c1 + a1c2)
        fp2Mul(t, 24, a, ao + 16, t, 8);
        fp2Mul(t, 32, a, ao + 8, t, 16);
        fp2Add(t, 24, t, 24, t, 32);
        fp2MulXi(t, 24, t, 24);
        fp2Mul(t, 32, a, ao, t, 0);
        fp2Add(t, 24, t, 24, t, 32);
        fp2Inv(t, 24, t, 24);
        fp2Mul(r, ro, t, 0, t, 24);
        fp2Mul(r, ro + 8, t, 8, t, 24);
        fp2Mul(r, ro + 16, t, 16, t, 24);
    }

    // ---------------------------------------------------------------- F_p¹²

    static void fp12SetOne(long[] r, int ro) {
        java.util.Arrays.fill(r, ro, ro + 48, 0L);
        Bn254Fp.setOne(r, ro);
    }

    static boolean fp12IsOne(long[] a, int ao) {
        if (!Bn254Fp.equal(a, ao, Bn254Fp.ONE, 0)) return false;
        for (int i = 4; i < 48; i++) if (a[ao + i] != 0) return false;
        return true;
    }

    static void fp12Copy(long[] r, int ro, long[] a, int ao) {
        System.arraycopy(a, ao, r, ro, 48);
    }

    /** (g + hw)(g' + h'w) = gg' + hh'v + ((g + h)(g' + h') - gg' - hh')w. */
    void fp12Mul(long[] r, int ro, long[] a, int ao, long[] b, int bo) {
        long[] t = s12; // gg' (0), hh' (24), sums (48)
        fp6Mul(t, 0, a, ao, b, bo);
        fp6Mul(t, 24, a, ao + 24, b, bo + 24);
        fp6Add(t, 48, a, ao, a, ao + 24);
        fp6Add(s12b, 0, b, bo, b, bo + 24);
        fp6Mul(t, 48, t, 48, s12b, 0);
        fp6Sub(t, 48, t, 48, t, 0);
        fp6Sub(r, ro + 24, t, 48, t, 24);
        fp6MulV(t, 24, t, 24);
        fp6Add(r, ro, t, 0, t, 24);
    }

    /** (g + hw)² = (g + h)(g + vh) - gh - v·gh + 2gh·w. */
    void fp12Sqr(long[] r, int ro, long[] a, int ao) {
        long[] t = s12; // gh (0), g + h (24), g + vh (48)
        fp6Mul(t, 0, a, ao, a, ao + 24);
        fp6Add(t, 24, a, ao, a, ao + 24);
        fp6MulV(t, 48, a, ao + 24);
        fp6Add(t, 48, t, 48, a, ao);
        fp6Mul(t, 24, t, 24, t, 48);
        fp6Sub(t, 24, t, 24, t, 0);
        fp6MulV(t, 48, t, 0);
        fp6Sub(r, ro, t, 24, t, 48);
        fp6Add(r, ro + 24, t, 0, t, 0);
    }

    void fp12Conj(long[] r, int ro, long[] a, int ao) {
        if (r != a || ro != ao) System.arraycopy(a, ao, r, ro, 24);
        fp6Neg(r, ro + 24, a, ao + 24);
    }

    /** 1/(g + hw) = (g - hw)/(g² - vh²). */
    void fp12Inv(long[] r, int ro, long[] a, int ao) {
        long[] t = s12; // g² (0), vh² (24), n^-1 (48)
        fp6Mul(t, 0, a, ao, a, ao);
        fp6Mul(t, 24, a, ao + 24, a, ao + 24);
        fp6MulV(t, 24, t, 24);
        fp6Sub(t, 0, t, 0, t, 24);
        fp6Inv(t, 48, t, 0);
        fp6Mul(r, ro, a, ao, t, 48);
        fp6Mul(t, 24, a, ao + 24, t, 48);
        fp6Neg(r, ro + 24, t, 24);
    }

    /**
     * r = a·l for the line l = c0 + c1·w + c3·w³ with c0, c1, c3 in F_p² stored at lo, lo + 8, lo + 16 of line:
     * (g + hw)(A + Bw) = gA + hB·v + (hA + gB)w with A = c0, B = c1 + c3·v.
     */
    void fp12MulLine(long[] r, int ro, long[] a, int ao, long[] line, int lo) {
        long[] t = s12; // gA (0), hB (24), hA (48)
        fp6MulFp2(t, 0, a, ao, line, lo);
        fp6MulSparse01(t, 24, a, ao + 24, line, lo + 8, lo + 16);
        fp6MulFp2(t, 48, a, ao + 24, line, lo);
        fp6MulSparse01(r, ro + 24, a, ao, line, lo + 8, lo + 16); // gB (a's g is read before r's h is written)
        fp6Add(r, ro + 24, r, ro + 24, t, 48);
        fp6MulV(t, 24, t, 24);
        fp6Add(r, ro, t, 0, t, 24);
    }

    private final long[] cyc = new long[64];

    /**
     * r = a² for a in the cyclotomic subgroup (a^(p⁴ - p² + 1) = 1, so conj(a) = a^-1), by Granger-Scott: seen as
     * A0 + A1·t + A2·t² over F_p⁴ = F_p²[s]/(s² - ξ) with t = w, s = w³, i.e. A0 = g0 + h1·s, A1 = h0 + g2·s,
     * A2 = g1 + h2·s, the square is A0' = 3A0² - 2·conj(A0), A1' = 3s·A2² + 2·conj(A1), A2' = 3A1² - 2·conj(A2)
     * (conj negates the s part): three F_p⁴ squarings, 18 multiplications instead of 36.
     */
    void fp12CyclotomicSqr(long[] r, int ro, long[] a, int ao) {
        long[] c = cyc;
        fp4Sqr(c, 0, a, ao, a, ao + 32); // A0²
        fp4Sqr(c, 16, a, ao + 24, a, ao + 16); // A1²
        fp4Sqr(c, 32, a, ao + 8, a, ao + 40); // A2²
        threeMinusTwo(r, ro, c, 0, a, ao); // g0
        threePlusTwo(r, ro + 32, c, 8, a, ao + 32); // h1
        threeMinusTwo(r, ro + 8, c, 16, a, ao + 8); // g1
        threePlusTwo(r, ro + 40, c, 24, a, ao + 40); // h2
        // s·(x + y·s) = ξy + x·s
        fp2MulXi(c, 40, c, 40);
        threePlusTwo(r, ro + 24, c, 40, a, ao + 24); // h0
        threeMinusTwo(r, ro + 16, c, 32, a, ao + 16); // g2
    }

    /** (x + y·s)² = x² + ξy² + ((x + y)² - x² - y²)·s into r[ro..ro+16), with x, y in F_p²; scratch cyc[48..64). */
    private void fp4Sqr(long[] r, int ro, long[] x, int xo, long[] y, int yo) {
        long[] c = cyc;
        fp2Sqr(c, 48, x, xo);
        fp2Sqr(c, 56, y, yo);
        fp2Add(r, ro + 8, x, xo, y, yo);
        fp2Sqr(r, ro + 8, r, ro + 8);
        fp2Sub(r, ro + 8, r, ro + 8, c, 48);
        fp2Sub(r, ro + 8, r, ro + 8, c, 56);
        fp2MulXi(r, ro, c, 56);
        fp2Add(r, ro, r, ro, c, 48);
    }

    /** r = 3x - 2y in F_p² (r may alias y, not x). */
    private void threeMinusTwo(long[] r, int ro, long[] x, int xo, long[] y, int yo) {
        long[] t = cyc;
        fp2Sub(t, 48, x, xo, y, yo);
        fp2Dbl(t, 48, t, 48);
        fp2Add(r, ro, t, 48, x, xo);
    }

    /** r = 3x + 2y in F_p² (r may alias y, not x). */
    private void threePlusTwo(long[] r, int ro, long[] x, int xo, long[] y, int yo) {
        long[] t = cyc;
        fp2Add(t, 48, x, xo, y, yo);
        fp2Dbl(t, 48, t, 48);
        fp2Add(r, ro, t, 48, x, xo);
    }

    /** r = a^p: conjugate every F_p² coefficient, then multiply the one of w^k by γ_k. */
    void fp12Frobenius(long[] r, int ro, long[] a, int ao) {
        for (int i = 0; i < 3; i++) {
            // g_i is the coefficient of w^(2i), h_i the one of w^(2i+1)
            fp2Conj(r, ro + 8 * i, a, ao + 8 * i);
            fp2Mul(r, ro + 8 * i, r, ro + 8 * i, FROBENIUS_GAMMA, 8 * (2 * i));
            fp2Conj(r, ro + 24 + 8 * i, a, ao + 24 + 8 * i);
            fp2Mul(r, ro + 24 + 8 * i, r, ro + 24 + 8 * i, FROBENIUS_GAMMA, 8 * (2 * i + 1));
        }
    }
}
