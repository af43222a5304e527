package io.flotilla.evm.precompile;

import java.math.BigInteger;

/** An element a + b·i of F_p² for BN254 (i² = -1). */
record Fp2(BigInteger a, BigInteger b) {
    static final BigInteger P = Bn254.P;
    static final Fp2 ZERO = new Fp2(BigInteger.ZERO, BigInteger.ZERO);
    static final Fp2 ONE = new Fp2(BigInteger.ONE, BigInteger.ZERO);

    Fp2 add(Fp2 o) {
        return new Fp2(a.add(o.a).mod(P), b.add(o.b).mod(P));
    }

    Fp2 sub(Fp2 o) {
        return new Fp2(a.subtract(o.a).mod(P), b.subtract(o.b).mod(P));
    }

    Fp2 mul(Fp2 o) {
        return new Fp2(a.multiply(o.a).subtract(b.multiply(o.b)).mod(P), a.multiply(o.b).add(b.multiply(o.a)).mod(P));
    }

    Fp2 mul(long k) {
        BigInteger s = BigInteger.valueOf(k);
        return new Fp2(a.multiply(s).mod(P), b.multiply(s).mod(P));
    }

    Fp2 mul(BigInteger s) {
        return new Fp2(a.multiply(s).mod(P), b.multiply(s).mod(P));
    }

    Fp2 neg() {
        return new Fp2(a.negate().mod(P), b.negate().mod(P));
    }

    /** The Frobenius map x -> x^p, which conjugates because p = 3 mod 4. */
    Fp2 conj() {
        return new Fp2(a, b.negate().mod(P));
    }

    Fp2 inv() {
        BigInteger norm = a.multiply(a).add(b.multiply(b)).mod(P).modInverse(P);
        return new Fp2(a.multiply(norm).mod(P), b.negate().multiply(norm).mod(P));
    }

    Fp2 pow(BigInteger e) {
        Fp2 r = ONE;
        for (int i = e.bitLength() - 1; i >= 0; i--) {
            r = r.mul(r);
            if (e.testBit(i)) r = r.mul(this);
        }
        return r;
    }

    boolean isZero() {
        return a.signum() == 0 && b.signum() == 0;
    }
}
