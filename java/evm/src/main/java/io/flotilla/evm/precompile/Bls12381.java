package io.flotilla.evm.precompile;

import io.flotilla.evm.types.Hex;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * BLS12-381 as far as KZG verification needs it: compressed point decoding (ZCash format) with
 * subgroup checks, affine G1/G2 arithmetic and a pairing-product check. G2 lives on the M-type
 * twist y² = x³ + 4(1 + i), mapped into F_p¹² by x·w⁻², y·w⁻³; the Miller loop runs over |x|.
 * Written for correctness, not speed: one verification takes tens of milliseconds.
 */
final class Bls12381 {
    static final BigInteger P = new BigInteger(
            "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab", 16);
    /** The order r of G1 and G2 (the KZG scalar field modulus). */
    static final BigInteger R = new BigInteger("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001", 16);
    private static final BigInteger X_ABS = new BigInteger("d201000000010000", 16);
    private static final BigInteger B = BigInteger.valueOf(4);
    private static final Fp2 B2 = new Fp2(B, B, P);
    private static final Fp12.Tower TOWER = new Fp12.Tower(P, BigInteger.ONE);
    private static final Fp12[] FROBENIUS = Fp12.frobeniusTable(TOWER);
    private static final BigInteger HALF_P = P.subtract(BigInteger.ONE).shiftRight(1);

    static final G1 G1_GENERATOR = decodeG1(Hex.decode(
            "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"));
    static final G2 G2_GENERATOR = decodeG2(Hex.decode(
            "93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
            + "024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"));

    private Bls12381() {
    }

    /** Affine G1 point; null stands for infinity. */
    record G1(BigInteger x, BigInteger y) {
        G1 neg() {
            return new G1(x, y.negate().mod(P));
        }
    }

    /** Affine G2 point; null stands for infinity. */
    record G2(Fp2 x, Fp2 y) {
        G2 neg() {
            return new G2(x, y.neg());
        }
    }

    /** Decodes 48 compressed bytes; throws IllegalArgumentException for invalid encodings or points outside G1. */
    static G1 decodeG1(byte[] in) {
        if (in.length != 48) throw new IllegalArgumentException("G1 needs 48 bytes");
        int flags = in[0] & 0xE0;
        if ((flags & 0x80) == 0) throw new IllegalArgumentException("not compressed");
        byte[] xb = in.clone();
        xb[0] &= 0x1F;
        BigInteger x = new BigInteger(1, xb);
        boolean infinity = (flags & 0x40) != 0;
        if (infinity != (x.signum() == 0)) throw new IllegalArgumentException("bad infinity flag");
        if (infinity) {
            if ((flags & 0x20) != 0) throw new IllegalArgumentException("infinity with sign");
            return null;
        }
        if (x.compareTo(P) >= 0) throw new IllegalArgumentException("x >= p");
        BigInteger rhs = x.pow(3).add(B).mod(P);
        BigInteger y = rhs.modPow(P.add(BigInteger.ONE).shiftRight(2), P);
        if (!y.multiply(y).mod(P).equals(rhs)) throw new IllegalArgumentException("not on curve");
        if ((y.compareTo(HALF_P) > 0) != ((flags & 0x20) != 0)) y = P.subtract(y);
        G1 p = new G1(x, y);
        if (mul(p, R) != null) throw new IllegalArgumentException("not in G1");
        return p;
    }

    /** Decodes 96 compressed bytes (imaginary part of x first); throws for invalid points or points outside G2. */
    static G2 decodeG2(byte[] in) {
        if (in.length != 96) throw new IllegalArgumentException("G2 needs 96 bytes");
        int flags = in[0] & 0xE0;
        if ((flags & 0x80) == 0) throw new IllegalArgumentException("not compressed");
        byte[] imag = Arrays.copyOfRange(in, 0, 48);
        imag[0] &= 0x1F;
        BigInteger x1 = new BigInteger(1, imag);
        BigInteger x0 = new BigInteger(1, Arrays.copyOfRange(in, 48, 96));
        boolean infinity = (flags & 0x40) != 0;
        if (infinity != (x0.signum() == 0 && x1.signum() == 0)) throw new IllegalArgumentException("bad infinity flag");
        if (infinity) {
            if ((flags & 0x20) != 0) throw new IllegalArgumentException("infinity with sign");
            return null;
        }
        if (x0.compareTo(P) >= 0 || x1.compareTo(P) >= 0) throw new IllegalArgumentException("x >= p");
        Fp2 x = new Fp2(x0, x1, P);
        Fp2 y = x.mul(x).mul(x).add(B2).sqrt();
        if (y == null) throw new IllegalArgumentException("not on curve");
        BigInteger signed = y.b().signum() != 0 ? y.b() : y.a();
        if ((signed.compareTo(HALF_P) > 0) != ((flags & 0x20) != 0)) y = y.neg();
        G2 p = new G2(x, y);
        if (mul(p, R) != null) throw new IllegalArgumentException("not in G2");
        return p;
    }

    static G1 add(G1 a, G1 b) {
        if (a == null) return b;
        if (b == null) return a;
        BigInteger lambda;
        if (a.x().equals(b.x())) {
            if (!a.y().equals(b.y()) || a.y().signum() == 0) return null;
            lambda = a.x().pow(2).multiply(BigInteger.valueOf(3)).multiply(a.y().shiftLeft(1).modInverse(P)).mod(P);
        } else {
            lambda = b.y().subtract(a.y()).multiply(b.x().subtract(a.x()).modInverse(P)).mod(P);
        }
        BigInteger x = lambda.pow(2).subtract(a.x()).subtract(b.x()).mod(P);
        return new G1(x, lambda.multiply(a.x().subtract(x)).subtract(a.y()).mod(P));
    }

    static G1 mul(G1 p, BigInteger k) {
        G1 r = null;
        for (int i = k.bitLength() - 1; i >= 0; i--) {
            r = add(r, r);
            if (k.testBit(i)) r = add(r, p);
        }
        return r;
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
        return new G2(x, lambda.mul(a.x().sub(x)).sub(a.y()));
    }

    static G2 mul(G2 p, BigInteger k) {
        G2 r = null;
        for (int i = k.bitLength() - 1; i >= 0; i--) {
            r = add(r, r);
            if (k.testBit(i)) r = add(r, p);
        }
        return r;
    }

    /**
     * Line through r and s (tangent if equal) at p, scaled by w³ (an F_p⁴ factor that the final
     * exponentiation removes): (y_R - λx_R) + (λ·x_P)·w² - y_P·w³.
     */
    private static Fp12 line(G2 r, G2 s, G1 p) {
        BigInteger[] c = Fp12.zeros();
        Fp2 lambda;
        if (!r.x().equals(s.x())) {
            lambda = s.y().sub(r.y()).mul(s.x().sub(r.x()).inv());
        } else if (r.y().equals(s.y())) {
            lambda = r.x().mul(r.x()).mul(3).mul(r.y().mul(2).inv());
        } else {
            // Vertical line, scaled by w²: x_P·w² - x_R
            Fp12.place(TOWER, c, r.x().neg(), 0);
            c[2] = c[2].add(p.x()).mod(P);
            return TOWER.of(c);
        }
        Fp12.place(TOWER, c, r.y().sub(lambda.mul(r.x())), 0);
        Fp12.place(TOWER, c, lambda.mul(p.x()), 2);
        c[3] = c[3].subtract(p.y()).mod(P);
        return TOWER.of(c);
    }

    private static Fp12 miller(G2 q, G1 p) {
        G2 r = q;
        Fp12 f = TOWER.one();
        for (int i = X_ABS.bitLength() - 2; i >= 0; i--) {
            f = f.mul(f).mul(line(r, r, p));
            r = add(r, r);
            if (X_ABS.testBit(i)) {
                f = f.mul(line(r, q, p));
                r = add(r, q);
            }
        }
        return f;
    }

    /**
     * True when the product of e(p_i, q_i) is one. The loop over |x| yields the inverse of each
     * pairing (x is negative), which leaves "product == 1" unchanged.
     */
    static boolean pairingProductIsOne(G1[] ps, G2[] qs) {
        Fp12 acc = TOWER.one();
        for (int i = 0; i < ps.length; i++) {
            if (ps[i] == null || qs[i] == null) continue;
            acc = acc.mul(miller(qs[i], ps[i]));
        }
        return acc.finalExponentiation(FROBENIUS, R).isOne();
    }
}
