package io.flotilla.evm.precompile;

import java.math.BigInteger;

/** An element a + b·i of F_p² (i² = -1) for a prime p = 3 mod 4; shared by BN254 and BLS12-381. */
record Fp2(BigInteger a, BigInteger b, BigInteger p) {
    static Fp2 zero(BigInteger p) {
        return new Fp2(BigInteger.ZERO, BigInteger.ZERO, p);
    }

    static Fp2 one(BigInteger p) {
        return new Fp2(BigInteger.ONE, BigInteger.ZERO, p);
    }

    Fp2 add(Fp2 o) {
        return new Fp2(a.add(o.a).mod(p), b.add(o.b).mod(p), p);
    }

    Fp2 sub(Fp2 o) {
        return new Fp2(a.subtract(o.a).mod(p), b.subtract(o.b).mod(p), p);
    }

    Fp2 mul(Fp2 o) {
        return new Fp2(a.multiply(o.a).subtract(b.multiply(o.b)).mod(p), a.multiply(o.b).add(b.multiply(o.a)).mod(p), p);
    }

    Fp2 mul(long k) {
        return mul(BigInteger.valueOf(k));
    }

    Fp2 mul(BigInteger s) {
        return new Fp2(a.multiply(s).mod(p), b.multiply(s).mod(p), p);
    }

    Fp2 neg() {
        return new Fp2(a.negate().mod(p), b.negate().mod(p), p);
    }

    /** The Frobenius map x -> x^p, which conjugates because p = 3 mod 4. */
    Fp2 conj() {
        return new Fp2(a, b.negate().mod(p), p);
    }

    Fp2 inv() {
        BigInteger norm = a.multiply(a).add(b.multiply(b)).mod(p).modInverse(p);
        return new Fp2(a.multiply(norm).mod(p), b.negate().multiply(norm).mod(p), p);
    }

    Fp2 pow(BigInteger e) {
        Fp2 r = one(p);
        for (int i = e.bitLength() - 1; i >= 0; i--) {
            r = r.mul(r);
            if (e.testBit(i)) r = r.mul(this);
        }
        return r;
    }

    /** A square root, or null if there is none (Adj and Rodriguez-Henriquez, algorithm 9). */
    Fp2 sqrt() {
        Fp2 a1 = pow(p.subtract(BigInteger.valueOf(3)).shiftRight(2));
        Fp2 alpha = a1.mul(a1).mul(this);
        Fp2 x0 = a1.mul(this);
        Fp2 x;
        if (alpha.equals(one(p).neg())) {
            x = new Fp2(x0.b.negate().mod(p), x0.a, p);
        } else {
            x = alpha.add(one(p)).pow(p.subtract(BigInteger.ONE).shiftRight(1)).mul(x0);
        }
        return x.mul(x).equals(this) ? x : null;
    }

    boolean isZero() {
        return a.signum() == 0 && b.signum() == 0;
    }
}
