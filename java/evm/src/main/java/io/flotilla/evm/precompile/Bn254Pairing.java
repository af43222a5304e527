package io.flotilla.evm.precompile;

import java.math.BigInteger;

/**
 * 0x08: alt_bn128 pairing check (EIP-197, EIP-1108 pricing): the optimal ate pairing on {@link Bn254Tower}.
 * G2 points live on the twist y² = x³ + 3/ξ over F_p² (untwisted: x·w², y·w³). The Miller loop runs all pairs at once
 * (one squaring of the accumulator per step), with G2 in homogeneous projective coordinates so that no step inverts;
 * each line is c0 + c1·w + c3·w³ scaled by an F_p² factor, which the final exponentiation removes.
 */
final class Bn254Pairing implements Precompile {
    /** 6u + 2, the optimal ate loop count, for u = 4965661367192848881. */
    static final BigInteger ATE_LOOP_COUNT = new BigInteger("29793968203157093288");
    static final long U = 4965661367192848881L;
    /** 6u + 2 in non-adjacent form, most significant digit first. */
    static final byte[] ATE_NAF = naf(ATE_LOOP_COUNT);
    /** (p⁴ - p² + 1)/N, the hard part of the final exponent (for the reference computation in tests). */
    static final BigInteger HARD_EXPONENT;
    /** b' = 3/ξ. */
    static final long[] TWIST_B = new long[8];

    static {
        BigInteger p = Bn254Fp.P_BIG;
        HARD_EXPONENT = p.pow(4).subtract(p.pow(2)).add(BigInteger.ONE).divide(Bn254.N);
        Bn254Tower t = new Bn254Tower();
        long[] xi = new long[8];
        Bn254Fp.set(xi, 0, BigInteger.valueOf(9));
        Bn254Fp.setOne(xi, 4);
        t.fp2Inv(TWIST_B, 0, xi, 0);
        Bn254Fp.mul(TWIST_B, 0, TWIST_B, 0, Bn254.B, 0);
        Bn254Fp.mul(TWIST_B, 4, TWIST_B, 4, Bn254.B, 0);
    }

    @Override
    public long gas(byte[] input) {
        return 45000 + 34000L * (input.length / 192);
    }

    @Override
    public byte[] run(byte[] input) {
        if (input.length % 192 != 0) return null;
        int n = input.length / 192;
        Bn254Tower tower = new Bn254Tower();
        long[] ps = new long[8 * n]; // (x_P, -y_P)
        long[] qs = new long[16 * n]; // affine (x, y) on the twist
        int k = 0;
        for (int i = 0; i < n; i++) {
            int off = 192 * i;
            boolean hasP;
            try {
                hasP = Bn254.decodeG1(input, off, ps, 8 * k);
            } catch (IllegalArgumentException e) {
                return null;
            }
            int g2 = decodeG2(tower, input, off + 64, qs, 16 * k);
            if (g2 < 0) return null;
            if (hasP && g2 > 0) {
                Bn254Fp.neg(ps, 8 * k + 4, ps, 8 * k + 4);
                k++;
            }
        }
        byte[] out = new byte[32];
        if (k == 0) {
            out[31] = 1;
            return out;
        }
        long[] f = new long[48];
        new Miller(tower, ps, qs, k).run(f);
        finalExponentiation(tower, f);
        if (Bn254Tower.fp12IsOne(f, 0)) out[31] = 1;
        return out;
    }

    /**
     * Reads a G2 point (EIP-197 order: x imaginary, x real, y imaginary, y real) into r[ro..ro+16); returns 0 for the
     * point at infinity (all zero), 1 for a valid point, -1 when a coordinate is not below p, the point is not on
     * the twist or not in the order-N subgroup.
     */
    static int decodeG2(Bn254Tower t, byte[] in, int off, long[] r, int ro) {
        if (!Bn254Fp.fromBytes(r, ro + 4, in, off) || !Bn254Fp.fromBytes(r, ro, in, off + 32)
                || !Bn254Fp.fromBytes(r, ro + 12, in, off + 64) || !Bn254Fp.fromBytes(r, ro + 8, in, off + 96)) {
            return -1;
        }
        if (Bn254Tower.fp2IsZero(r, ro) && Bn254Tower.fp2IsZero(r, ro + 8)) return 0;
        long[] s = new long[16];
        t.fp2Sqr(s, 0, r, ro);
        t.fp2Mul(s, 0, s, 0, r, ro);
        t.fp2Add(s, 0, s, 0, TWIST_B, 0);
        t.fp2Sqr(s, 8, r, ro + 8);
        if (!Bn254Tower.fp2Equal(s, 0, s, 8)) return -1;
        return inSubgroup(t, r, ro) ? 1 : -1;
    }

    /** 6u², the eigenvalue of ψ on G2 (p ≡ 6u² mod N). */
    static final BigInteger SIX_U_SQUARED = BigInteger.valueOf(U).pow(2).multiply(BigInteger.valueOf(6));

    /**
     * Q in G2 iff ψ(Q) = [6u²]Q, with ψ the twist-Frobenius-untwist endomorphism. ψ satisfies ψ² - tψ + p = 0 with
     * t = 6u² + 1, so ψ(Q) = [λ]Q gives [λ² - tλ + p]Q = [p - 6u²]Q = [N]Q = O; conversely ψ acts on G2 as [p] = [6u²].
     * Half the doublings of checking [N]Q = O (tests compare both).
     */
    static boolean inSubgroup(Bn254Tower t, long[] q, int qo) {
        long[] acc = mulJacobian(t, q, qo, SIX_U_SQUARED);
        if (Bn254Tower.fp2IsZero(acc, 16)) return false; // ψ(Q) is not O for Q ≠ O
        long[] psi = new long[16];
        t.fp2Conj(psi, 0, q, qo);
        t.fp2Mul(psi, 0, psi, 0, Bn254Tower.FROBENIUS_GAMMA, 16);
        t.fp2Conj(psi, 8, q, qo + 8);
        t.fp2Mul(psi, 8, psi, 8, Bn254Tower.FROBENIUS_GAMMA, 24);
        // (X, Y, Z) equals affine (x, y) iff X = x·Z² and Y = y·Z³
        long[] s = new long[32];
        t.fp2Sqr(s, 0, acc, 16);
        t.fp2Mul(s, 8, s, 0, acc, 16);
        t.fp2Mul(s, 16, psi, 0, s, 0);
        t.fp2Mul(s, 24, psi, 8, s, 8);
        return Bn254Tower.fp2Equal(s, 16, acc, 0) && Bn254Tower.fp2Equal(s, 24, acc, 8);
    }

    /** [N]Q = O: the definition, for tests. */
    static boolean inSubgroupByOrder(Bn254Tower t, long[] q, int qo) {
        return Bn254Tower.fp2IsZero(mulJacobian(t, q, qo, Bn254.N), 16);
    }

    /** [k]Q in Jacobian coordinates (24 longs) by double-and-add, Q affine on the twist. */
    static long[] mulJacobian(Bn254Tower t, long[] q, int qo, BigInteger k) {
        long[] acc = new long[24];
        long[] s = new long[96];
        for (int i = k.bitLength() - 1; i >= 0; i--) {
            g2JacDbl(t, acc, s);
            if (k.testBit(i)) g2JacAddAffine(t, acc, q, qo, s);
        }
        return acc;
    }

    /** acc = 2·acc in Jacobian coordinates over F_p² (dbl-2009-l). */
    private static void g2JacDbl(Bn254Tower t, long[] p, long[] s) {
        if (Bn254Tower.fp2IsZero(p, 16)) return;
        // A (0), B (8), C (16), D (24), E (32), F (40)
        t.fp2Sqr(s, 0, p, 0);
        t.fp2Sqr(s, 8, p, 8);
        t.fp2Sqr(s, 16, s, 8);
        t.fp2Add(s, 24, p, 0, s, 8);
        t.fp2Sqr(s, 24, s, 24);
        t.fp2Sub(s, 24, s, 24, s, 0);
        t.fp2Sub(s, 24, s, 24, s, 16);
        t.fp2Dbl(s, 24, s, 24);
        t.fp2Dbl(s, 32, s, 0);
        t.fp2Add(s, 32, s, 32, s, 0);
        t.fp2Sqr(s, 40, s, 32);
        t.fp2Mul(p, 16, p, 8, p, 16);
        t.fp2Dbl(p, 16, p, 16);
        t.fp2Sub(s, 40, s, 40, s, 24);
        t.fp2Sub(p, 0, s, 40, s, 24);
        t.fp2Sub(s, 24, s, 24, p, 0);
        t.fp2Mul(s, 24, s, 32, s, 24);
        t.fp2Dbl(s, 16, s, 16);
        t.fp2Dbl(s, 16, s, 16);
        t.fp2Dbl(s, 16, s, 16);
        t.fp2Sub(p, 8, s, 24, s, 16);
    }

    /** acc = acc + q with q affine (madd-2007-bl), including the equal, opposite and infinite cases. */
    private static void g2JacAddAffine(Bn254Tower t, long[] p, long[] q, int qo, long[] s) {
        if (Bn254Tower.fp2IsZero(p, 16)) {
            Bn254Tower.fp2Copy(p, 0, q, qo);
            Bn254Tower.fp2Copy(p, 8, q, qo + 8);
            Bn254Fp.setOne(p, 16);
            Bn254Fp.setZero(p, 20);
            return;
        }
        // Z1Z1 (0), U2 (8), S2 (16), H (24), HH (32), I (40), J (48), r (56), V (64)
        t.fp2Sqr(s, 0, p, 16);
        t.fp2Mul(s, 8, q, qo, s, 0);
        t.fp2Mul(s, 16, q, qo + 8, p, 16);
        t.fp2Mul(s, 16, s, 16, s, 0);
        t.fp2Sub(s, 24, s, 8, p, 0);
        t.fp2Sub(s, 56, s, 16, p, 8);
        if (Bn254Tower.fp2IsZero(s, 24)) {
            if (Bn254Tower.fp2IsZero(s, 56)) {
                g2JacDbl(t, p, s);
            } else {
                java.util.Arrays.fill(p, 0, 24, 0L);
            }
            return;
        }
        t.fp2Sqr(s, 32, s, 24);
        t.fp2Dbl(s, 40, s, 32);
        t.fp2Dbl(s, 40, s, 40);
        t.fp2Mul(s, 48, s, 24, s, 40);
        t.fp2Dbl(s, 56, s, 56);
        t.fp2Mul(s, 64, p, 0, s, 40);
        // Z3 = (Z1 + H)² - Z1Z1 - HH
        t.fp2Add(s, 72, p, 16, s, 24);
        t.fp2Sqr(s, 72, s, 72);
        t.fp2Sub(s, 72, s, 72, s, 0);
        t.fp2Sub(p, 16, s, 72, s, 32);
        // X3 = r² - J - 2V
        t.fp2Sqr(s, 72, s, 56);
        t.fp2Sub(s, 72, s, 72, s, 48);
        t.fp2Sub(s, 72, s, 72, s, 64);
        t.fp2Sub(p, 0, s, 72, s, 64);
        // Y3 = r(V - X3) - 2·Y1·J
        t.fp2Sub(s, 64, s, 64, p, 0);
        t.fp2Mul(s, 64, s, 56, s, 64);
        t.fp2Mul(s, 48, p, 8, s, 48);
        t.fp2Dbl(s, 48, s, 48);
        t.fp2Sub(p, 8, s, 64, s, 48);
    }

    /** The multi-pair Miller loop. */
    static final class Miller {
        private final Bn254Tower t;
        private final long[] ps;
        private final long[] qs;
        private final int k;
        /** Homogeneous projective T = (X, Y, Z) per pair, 24 longs each. */
        private final long[] ts;
        private final long[] line = new long[24];
        private final long[] s = new long[96];

        Miller(Bn254Tower t, long[] ps, long[] qs, int k) {
            this.t = t;
            this.ps = ps;
            this.qs = qs;
            this.k = k;
            this.ts = new long[24 * k];
        }

        void run(long[] f) {
            for (int j = 0; j < k; j++) {
                Bn254Tower.fp2Copy(ts, 24 * j, qs, 16 * j);
                Bn254Tower.fp2Copy(ts, 24 * j + 8, qs, 16 * j + 8);
                Bn254Fp.setOne(ts, 24 * j + 16);
            }
            long[] qsNeg = new long[16 * k]; // -Q for the -1 digits
            for (int j = 0; j < k; j++) {
                Bn254Tower.fp2Copy(qsNeg, 16 * j, qs, 16 * j);
                t.fp2Neg(qsNeg, 16 * j + 8, qs, 16 * j + 8);
            }
            Bn254Tower.fp12SetOne(f, 0);
            // 6u + 2 in NAF: 21 additions instead of 36 (T never equals ±Q: it is [m]Q with 2 <= m < 2^67)
            for (int i = 1; i < ATE_NAF.length; i++) {
                t.fp12Sqr(f, 0, f, 0);
                for (int j = 0; j < k; j++) {
                    doubleStep(j);
                    t.fp12MulLine(f, 0, f, 0, line, 0);
                }
                if (ATE_NAF[i] != 0) {
                    long[] q = ATE_NAF[i] > 0 ? qs : qsNeg;
                    for (int j = 0; j < k; j++) {
                        addStep(j, q, 16 * j);
                        t.fp12MulLine(f, 0, f, 0, line, 0);
                    }
                }
            }
            long[] q1 = new long[16];
            long[] q2 = new long[16];
            for (int j = 0; j < k; j++) {
                frobenius(q1, qs, 16 * j);
                frobenius(q2, q1, 0);
                t.fp2Neg(q2, 8, q2, 8);
                addStep(j, q1, 0);
                t.fp12MulLine(f, 0, f, 0, line, 0);
                addStep(j, q2, 0);
                t.fp12MulLine(f, 0, f, 0, line, 0);
            }
        }

        /** π(q) on the twist: (conj(x)·ξ^((p-1)/3), conj(y)·ξ^((p-1)/2)). */
        private void frobenius(long[] r, long[] q, int qo) {
            t.fp2Conj(r, 0, q, qo);
            t.fp2Mul(r, 0, r, 0, Bn254Tower.FROBENIUS_GAMMA, 16);
            t.fp2Conj(r, 8, q, qo + 8);
            t.fp2Mul(r, 8, r, 8, Bn254Tower.FROBENIUS_GAMMA, 24);
        }

        /**
         * T = 2T and the tangent line at T evaluated at P, times 2YZ:
         * -2YZ·y_P + 3X²·x_P·w + (3b'Z² - Y²)·w³.
         */
        private void doubleStep(int j) {
            int o = 24 * j;
            long[] T = ts;
            // A = XY/2 (0), B = Y² (8), C = Z² (16), E = 3b'C (24), F = 3E (32), G = (B + F)/2 (40), H (48), X² (56)
            t.fp2Mul(s, 0, T, o, T, o + 8);
            half(s, 0);
            t.fp2Sqr(s, 8, T, o + 8);
            t.fp2Sqr(s, 16, T, o + 16);
            t.fp2Mul(s, 24, s, 16, TWIST_B, 0);
            t.fp2Dbl(s, 32, s, 24);
            t.fp2Add(s, 24, s, 32, s, 24);
            t.fp2Dbl(s, 32, s, 24);
            t.fp2Add(s, 32, s, 32, s, 24);
            t.fp2Add(s, 40, s, 8, s, 32);
            half(s, 40);
            t.fp2Add(s, 48, T, o + 8, T, o + 16);
            t.fp2Sqr(s, 48, s, 48);
            t.fp2Sub(s, 48, s, 48, s, 8);
            t.fp2Sub(s, 48, s, 48, s, 16);
            t.fp2Sqr(s, 56, T, o);
            // line: c0 = H·(-y_P), c1 = 3X²·x_P, c3 = E - B
            t.fp2MulFp(line, 0, s, 48, ps, 8 * j + 4);
            t.fp2Dbl(s, 64, s, 56);
            t.fp2Add(s, 64, s, 64, s, 56);
            t.fp2MulFp(line, 8, s, 64, ps, 8 * j);
            t.fp2Sub(line, 16, s, 24, s, 8);
            // X3 = A(B - F), Y3 = G² - 3E², Z3 = B·H
            t.fp2Sub(s, 64, s, 8, s, 32);
            t.fp2Mul(T, o, s, 0, s, 64);
            t.fp2Sqr(s, 64, s, 24);
            t.fp2Dbl(s, 72, s, 64);
            t.fp2Add(s, 64, s, 72, s, 64);
            t.fp2Sqr(s, 40, s, 40);
            t.fp2Sub(T, o + 8, s, 40, s, 64);
            t.fp2Mul(T, o + 16, s, 8, s, 48);
        }

        /**
         * T = T + Q (Q affine at q[qo..]) and the line through them evaluated at P, times L = X - x_Q·Z:
         * -L·y_P + O·x_P·w + (L·y_Q - O·x_Q)·w³ with O = Y - y_Q·Z.
         */
        private void addStep(int j, long[] q, int qo) {
            int o = 24 * j;
            long[] T = ts;
            // O (0), L (8), C (16), D (24), E (32), F (40), G (48), H (56)
            t.fp2Mul(s, 0, q, qo + 8, T, o + 16);
            t.fp2Sub(s, 0, T, o + 8, s, 0);
            t.fp2Mul(s, 8, q, qo, T, o + 16);
            t.fp2Sub(s, 8, T, o, s, 8);
            if (Bn254Tower.fp2IsZero(s, 8)) throw new IllegalStateException("T = ±Q cannot occur for points of order N");
            // line
            t.fp2MulFp(line, 0, s, 8, ps, 8 * j + 4);
            t.fp2MulFp(line, 8, s, 0, ps, 8 * j);
            t.fp2Mul(s, 16, s, 8, q, qo + 8);
            t.fp2Mul(s, 24, s, 0, q, qo);
            t.fp2Sub(line, 16, s, 16, s, 24);
            // T + Q
            t.fp2Sqr(s, 16, s, 0);
            t.fp2Sqr(s, 24, s, 8);
            t.fp2Mul(s, 32, s, 8, s, 24);
            t.fp2Mul(s, 40, T, o + 16, s, 16);
            t.fp2Mul(s, 48, T, o, s, 24);
            t.fp2Add(s, 56, s, 32, s, 40);
            t.fp2Sub(s, 56, s, 56, s, 48);
            t.fp2Sub(s, 56, s, 56, s, 48);
            t.fp2Mul(T, o, s, 8, s, 56);
            t.fp2Sub(s, 48, s, 48, s, 56);
            t.fp2Mul(s, 48, s, 0, s, 48);
            t.fp2Mul(s, 64, s, 32, T, o + 8);
            t.fp2Sub(T, o + 8, s, 48, s, 64);
            t.fp2Mul(T, o + 16, T, o + 16, s, 32);
        }
    }

    /** (p + 1)/2 in Montgomery form: multiplying by it halves. */
    private static final long[] HALF = new long[4];

    static {
        Bn254Fp.set(HALF, 0, Bn254Fp.P_BIG.add(BigInteger.ONE).shiftRight(1));
    }

    private static void half(long[] a, int ao) {
        Bn254Fp.mul(a, ao, a, ao, HALF, 0);
        Bn254Fp.mul(a, ao + 4, a, ao + 4, HALF, 0);
    }

    /** f = f^((p¹² - 1)/N). */
    static void finalExponentiation(Bn254Tower t, long[] f) {
        easyPart(t, f);
        hardPart(t, f);
    }

    /** f = f^((p⁶ - 1)(p² + 1)), after which f is in the cyclotomic subgroup. */
    static void easyPart(Bn254Tower t, long[] f) {
        long[] a = new long[48];
        t.fp12Inv(a, 0, f, 0);
        t.fp12Conj(f, 0, f, 0);
        t.fp12Mul(f, 0, f, 0, a, 0);
        t.fp12Frobenius(a, 0, f, 0);
        t.fp12Frobenius(a, 0, a, 0);
        t.fp12Mul(f, 0, f, 0, a, 0);
    }

    /** f = f^((p⁴ - p² + 1)/N) for f in the cyclotomic subgroup, by the u-based addition chain. */
    static void hardPart(Bn254Tower t, long[] f) {
        long[] fp = new long[48], fp2 = new long[48], fp3 = new long[48];
        long[] fu = new long[48], fu2 = new long[48], fu3 = new long[48];
        long[] y3 = new long[48], fu2p = new long[48], fu3p = new long[48], y2 = new long[48];
        t.fp12Frobenius(fp, 0, f, 0);
        t.fp12Frobenius(fp2, 0, fp, 0);
        t.fp12Frobenius(fp3, 0, fp2, 0);
        expByU(t, fu, f);
        expByU(t, fu2, fu);
        expByU(t, fu3, fu2);
        t.fp12Frobenius(y3, 0, fu, 0);
        t.fp12Frobenius(fu2p, 0, fu2, 0);
        t.fp12Frobenius(fu3p, 0, fu3, 0);
        t.fp12Frobenius(y2, 0, fu2p, 0);
        long[] y0 = fp;
        t.fp12Mul(y0, 0, fp, 0, fp2, 0);
        t.fp12Mul(y0, 0, y0, 0, fp3, 0);
        long[] y1 = fp2;
        t.fp12Conj(y1, 0, f, 0);
        long[] y5 = fp3;
        t.fp12Conj(y5, 0, fu2, 0);
        t.fp12Conj(y3, 0, y3, 0);
        long[] y4 = fu;
        t.fp12Mul(y4, 0, fu, 0, fu2p, 0);
        t.fp12Conj(y4, 0, y4, 0);
        long[] y6 = fu3;
        t.fp12Mul(y6, 0, fu3, 0, fu3p, 0);
        t.fp12Conj(y6, 0, y6, 0);
        long[] t0 = fu2p, t1 = fu3p;
        t.fp12Sqr(t0, 0, y6, 0);
        t.fp12Mul(t0, 0, t0, 0, y4, 0);
        t.fp12Mul(t0, 0, t0, 0, y5, 0);
        t.fp12Mul(t1, 0, y3, 0, y5, 0);
        t.fp12Mul(t1, 0, t1, 0, t0, 0);
        t.fp12Mul(t0, 0, t0, 0, y2, 0);
        t.fp12Sqr(t1, 0, t1, 0);
        t.fp12Mul(t1, 0, t1, 0, t0, 0);
        t.fp12Sqr(t1, 0, t1, 0);
        t.fp12Mul(t0, 0, t1, 0, y1, 0);
        t.fp12Mul(t1, 0, t1, 0, y0, 0);
        t.fp12Sqr(t0, 0, t0, 0);
        t.fp12Mul(f, 0, t0, 0, t1, 0);
    }

    /** u in non-adjacent form, most significant digit first (digits -1, 0, 1; the first is 1). */
    private static final byte[] U_NAF = naf(U);

    static byte[] naf(BigInteger k) {
        byte[] d = new byte[k.bitLength() + 1];
        int n = 0;
        while (k.signum() != 0) {
            int digit = 0;
            if (k.testBit(0)) {
                digit = 2 - (k.intValue() & 3);
                k = k.subtract(BigInteger.valueOf(digit));
            }
            d[n++] = (byte) digit;
            k = k.shiftRight(1);
        }
        byte[] r = new byte[n];
        for (int i = 0; i < n; i++) r[i] = d[n - 1 - i];
        return r;
    }

    static byte[] naf(long k) {
        byte[] d = new byte[66];
        int n = 0;
        while (k != 0) {
            int digit = 0;
            if ((k & 1) != 0) {
                digit = 2 - (int) (k & 3);
                k -= digit;
            }
            d[n++] = (byte) digit;
            k >>>= 1;
        }
        byte[] r = new byte[n];
        for (int i = 0; i < n; i++) r[i] = d[n - 1 - i];
        return r;
    }

    /** r = a^u for a in the cyclotomic subgroup: cyclotomic squarings, u in NAF (a^-1 = conj(a)). */
    private static void expByU(Bn254Tower t, long[] r, long[] a) {
        long[] acc = new long[48];
        long[] inv = new long[48];
        t.fp12Conj(inv, 0, a, 0);
        Bn254Tower.fp12Copy(acc, 0, a, 0);
        for (int i = 1; i < U_NAF.length; i++) {
            t.fp12CyclotomicSqr(acc, 0, acc, 0);
            if (U_NAF[i] > 0) {
                t.fp12Mul(acc, 0, acc, 0, a, 0);
            } else if (U_NAF[i] < 0) {
                t.fp12Mul(acc, 0, acc, 0, inv, 0);
            }
        }
        Bn254Tower.fp12Copy(r, 0, acc, 0);
    }

    /** f^e by square-and-multiply (the reference for the hard part in tests). */
    static void pow(Bn254Tower t, long[] f, BigInteger e) {
        long[] acc = new long[48];
        Bn254Tower.fp12SetOne(acc, 0);
        for (int i = e.bitLength() - 1; i >= 0; i--) {
            t.fp12Sqr(acc, 0, acc, 0);
            if (e.testBit(i)) t.fp12Mul(acc, 0, acc, 0, f, 0);
        }
        Bn254Tower.fp12Copy(f, 0, acc, 0);
    }
}
