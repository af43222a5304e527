package io.flotilla.evm.precompile;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * The former BigInteger implementation, kept as a reference for differential tests. 0x08: alt_bn128 pairing check (EIP-197, EIP-1108 pricing) with the optimal ate pairing.
 * G2 points stay in F_p² (twist coordinates x·w², y·w³); only line values and the accumulator
 * live in F_p¹², where lines are sparse: -y_P + (λ·x_P)·w + (y_R - λ·x_R)·w³.
 */
final class LegacyBn254Pairing implements Precompile {
    private static final BigInteger P = LegacyBn254.P;
    private static final BigInteger ATE_LOOP_COUNT = new BigInteger("29793968203157093288");
    private static final Fp12.Tower TOWER = new Fp12.Tower(P, BigInteger.valueOf(9));
    private static final Fp2 XI = new Fp2(BigInteger.valueOf(9), BigInteger.ONE, P);
    /** b' = 3 / (9 + i), the twist curve constant. */
    private static final Fp2 B2 = XI.inv().mul(3);
    /** Frobenius constants for twisted coordinates: ξ^((p-1)/3) and ξ^((p-1)/2). */
    private static final Fp2 GAMMA_X = XI.pow(P.subtract(BigInteger.ONE).divide(BigInteger.valueOf(3)));
    private static final Fp2 GAMMA_Y = XI.pow(P.subtract(BigInteger.ONE).shiftRight(1));
    /** The Frobenius map on F_p¹² in the w basis: w^(p·i) for i = 0..11. */
    private static final Fp12[] FROBENIUS = Fp12.frobeniusTable(TOWER);

    record G2(Fp2 x, Fp2 y) {
    }

    @Override
    public long gas(byte[] input) {
        return 45000 + 34000L * (input.length / 192);
    }

    @Override
    public byte[] run(byte[] input) {
        if (input.length % 192 != 0) return null;
        Fp12 acc = TOWER.one();
        try {
            for (int off = 0; off < input.length; off += 192) {
                LegacyBn254.G1 p = LegacyBn254.decodeG1(input, off);
                G2 q = decodeG2(input, off + 64);
                if (p == null || q == null) continue;
                acc = acc.mul(miller(q, p));
            }
        } catch (IllegalArgumentException e) {
            return null;
        }
        byte[] out = new byte[32];
        if (acc.finalExponentiation(FROBENIUS, LegacyBn254.N).isOne()) out[31] = 1;
        return out;
    }

    private static BigInteger coord(byte[] in, int off) {
        BigInteger v = new BigInteger(1, Arrays.copyOfRange(in, off, off + 32));
        if (v.compareTo(P) >= 0) throw new IllegalArgumentException("coordinate >= p");
        return v;
    }

    /** EIP-197 encodes each F_p² coordinate as (imaginary, real). Null for the point at infinity. */
    static G2 decodeG2(byte[] in, int off) {
        Fp2 x = new Fp2(coord(in, off + 32), coord(in, off), P);
        Fp2 y = new Fp2(coord(in, off + 96), coord(in, off + 64), P);
        if (x.isZero() && y.isZero()) return null;
        if (!y.mul(y).equals(x.mul(x).mul(x).add(B2))) throw new IllegalArgumentException("G2 point not on curve");
        if (mul(new G2(x, y), LegacyBn254.N) != null) throw new IllegalArgumentException("G2 point not in subgroup");
        return new G2(x, y);
    }

    static G2 add(G2 a, G2 b) {
        if (a == null) return b;
        if (b == null) return a;
        Fp2 lambda;
        if (a.x().equals(b.x())) {
            if (!a.y().equals(b.y()) || a.y().isZero()) return null;
            lambda = a.x().mul(a.x()).mul(3).mul(a.y().mul(2).inv());
        } else {
            lambda = b.y().sub(a.y()).mul(b.x().sub(a.x()).inv());
        }
        Fp2 x = lambda.mul(lambda).sub(a.x()).sub(b.x());
        Fp2 y = lambda.mul(a.x().sub(x)).sub(a.y());
        return new G2(x, y);
    }

    static G2 mul(G2 p, BigInteger k) {
        G2 r = null;
        for (int i = k.bitLength() - 1; i >= 0; i--) {
            r = add(r, r);
            if (k.testBit(i)) r = add(r, p);
        }
        return r;
    }

    /** The line through r and s (tangent if equal) evaluated at p, as a sparse F_p¹² element. */
    private static Fp12 line(G2 r, G2 s, LegacyBn254.G1 p) {
        BigInteger[] c = Fp12.zeros();
        Fp2 lambda;
        if (!r.x().equals(s.x())) {
            lambda = s.y().sub(r.y()).mul(s.x().sub(r.x()).inv());
        } else if (r.y().equals(s.y())) {
            lambda = r.x().mul(r.x()).mul(3).mul(r.y().mul(2).inv());
        } else {
            // Vertical line: x_P - x_R·w²
            c[0] = p.x();
            Fp12.place(TOWER, c, r.x().neg(), 2);
            return TOWER.of(c);
        }
        c[0] = p.y().negate().mod(P);
        Fp12.place(TOWER, c, lambda.mul(p.x()), 1);
        Fp12.place(TOWER, c, r.y().sub(lambda.mul(r.x())), 3);
        return TOWER.of(c);
    }

    private static G2 frobenius(G2 q) {
        return new G2(q.x().conj().mul(GAMMA_X), q.y().conj().mul(GAMMA_Y));
    }

    static Fp12 miller(G2 q, LegacyBn254.G1 p) {
        G2 r = q;
        Fp12 f = TOWER.one();
        for (int i = ATE_LOOP_COUNT.bitLength() - 2; i >= 0; i--) {
            f = f.mul(f).mul(line(r, r, p));
            r = add(r, r);
            if (ATE_LOOP_COUNT.testBit(i)) {
                f = f.mul(line(r, q, p));
                r = add(r, q);
            }
        }
        G2 q1 = frobenius(q);
        G2 q2 = frobenius(q1);
        G2 nq2 = new G2(q2.x(), q2.y().neg());
        f = f.mul(line(r, q1, p));
        r = add(r, q1);
        f = f.mul(line(r, nq2, p));
        return f;
    }
}
