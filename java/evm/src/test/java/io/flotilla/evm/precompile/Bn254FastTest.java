package io.flotilla.evm.precompile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.types.Hex;
import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The limb-based BN254 code against BigInteger and against the former implementation (LegacyBn254*). */
class Bn254FastTest {
    private static final BigInteger P = Bn254Fp.P_BIG;
    private static final BigInteger N = Bn254.N;
    private static final Precompile ADD = new Bn254Add();
    private static final Precompile MUL = new Bn254Mul();
    private static final Precompile PAIRING = new Bn254Pairing();
    private static final Precompile LEGACY_PAIRING = new LegacyBn254Pairing();
    private static final LegacyBn254.G1 G = new LegacyBn254.G1(BigInteger.ONE, BigInteger.TWO);

    private static byte[] word(BigInteger v) {
        byte[] out = new byte[32];
        byte[] b = v.toByteArray();
        int n = Math.min(32, b.length);
        System.arraycopy(b, b.length - n, out, 32 - n, n);
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    private static byte[] legacyAdd(byte[] in) {
        try {
            return LegacyBn254.encodeG1(LegacyBn254.add(LegacyBn254.decodeG1(in, 0), LegacyBn254.decodeG1(in, 64)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static byte[] legacyMul(byte[] in) {
        try {
            return LegacyBn254.encodeG1(LegacyBn254.mul(LegacyBn254.decodeG1(in, 0), new BigInteger(1, java.util.Arrays.copyOfRange(in, 64, 96))));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Test
    void fieldArithmeticMatchesBigInteger() {
        Random rnd = new Random(254);
        long[] a = new long[4], b = new long[4], r = new long[4];
        for (int i = 0; i < 20000; i++) {
            BigInteger x = i % 7 == 0 ? P.subtract(BigInteger.valueOf(1 + i % 3)) : new BigInteger(254, rnd).mod(P);
            BigInteger y = i % 5 == 0 ? P.subtract(BigInteger.ONE) : i % 11 == 0 ? BigInteger.ZERO : new BigInteger(254, rnd).mod(P);
            Bn254Fp.set(a, 0, x);
            Bn254Fp.set(b, 0, y);
            assertEquals(x, Bn254Fp.value(a, 0));
            Bn254Fp.mul(r, 0, a, 0, b, 0);
            assertEquals(x.multiply(y).mod(P), Bn254Fp.value(r, 0));
            Bn254Fp.add(r, 0, a, 0, b, 0);
            assertEquals(x.add(y).mod(P), Bn254Fp.value(r, 0));
            Bn254Fp.sub(r, 0, a, 0, b, 0);
            assertEquals(x.subtract(y).mod(P), Bn254Fp.value(r, 0));
            Bn254Fp.neg(r, 0, b, 0);
            assertEquals(y.negate().mod(P), Bn254Fp.value(r, 0));
            if (i % 50 == 0 && x.signum() != 0) {
                Bn254Fp.inv(r, 0, a, 0);
                assertEquals(x.modInverse(P), Bn254Fp.value(r, 0));
            }
        }
        byte[] pBytes = word(P);
        assertTrue(!Bn254Fp.fromBytes(r, 0, pBytes, 0));
        assertTrue(Bn254Fp.fromBytes(r, 0, word(P.subtract(BigInteger.ONE)), 0));
    }

    @Test
    void addAndMulMatchTheFormerImplementation() {
        Random rnd = new Random(196);
        for (int i = 0; i < 60; i++) {
            BigInteger k1 = new BigInteger(256, rnd), k2 = new BigInteger(256, rnd);
            byte[] a = LegacyBn254.encodeG1(LegacyBn254.mul(G, k1));
            byte[] b = LegacyBn254.encodeG1(LegacyBn254.mul(G, k2));
            byte[] in = concat(a, b);
            assertArrayEquals(legacyAdd(in), ADD.run(in));
            assertArrayEquals(legacyAdd(concat(a, a)), ADD.run(concat(a, a)), "doubling");
            BigInteger[] scalars = {new BigInteger(256, rnd), BigInteger.ZERO, BigInteger.ONE, BigInteger.TWO, N.subtract(BigInteger.ONE), N,
                N.add(BigInteger.ONE), BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE), BigInteger.valueOf(15), BigInteger.valueOf(16)};
            BigInteger s = scalars[i % scalars.length];
            byte[] mulIn = concat(a, word(s));
            assertArrayEquals(legacyMul(mulIn), MUL.run(mulIn), "scalar " + s);
        }
        // P + (-P), P + O, O + O, O·k
        byte[] g = LegacyBn254.encodeG1(G);
        byte[] minusG = LegacyBn254.encodeG1(new LegacyBn254.G1(BigInteger.ONE, P.subtract(BigInteger.TWO)));
        assertArrayEquals(new byte[64], ADD.run(concat(g, minusG)));
        assertArrayEquals(g, ADD.run(concat(g, new byte[64])));
        assertArrayEquals(g, ADD.run(concat(new byte[64], g)));
        assertArrayEquals(new byte[64], ADD.run(new byte[128]));
        assertArrayEquals(new byte[64], MUL.run(concat(new byte[64], word(BigInteger.TEN))));
    }

    @Test
    void invalidPointsFailAsBefore() {
        byte[] g = LegacyBn254.encodeG1(G);
        byte[][] bad = {
            concat(word(BigInteger.ONE), word(BigInteger.valueOf(3))), // off the curve
            concat(word(P), word(BigInteger.TWO)), // x = p
            concat(word(BigInteger.ONE), word(P.add(BigInteger.TWO))), // y = p + 2 (≡ 2 but not canonical)
            concat(word(BigInteger.ZERO), word(P)), // (0, p)
            concat(word(BigInteger.ZERO), word(BigInteger.ONE)), // (0, 1) is not (0, 0) and not on the curve
        };
        for (byte[] b : bad) {
            assertNull(ADD.run(concat(b, g)));
            assertNull(ADD.run(concat(g, b)));
            assertNull(MUL.run(concat(b, word(BigInteger.ZERO))));
            assertNull(legacyAdd(concat(b, g)));
            assertNull(PAIRING.run(concat(b, Hex.decode(PrecompileBench.G2))));
        }
        byte[] g2 = Hex.decode(PrecompileBench.G2);
        byte[] g2BadX = g2.clone();
        System.arraycopy(word(P), 0, g2BadX, 0, 32);
        assertNull(PAIRING.run(concat(g, g2BadX)));
        assertNull(PAIRING.run(concat(new byte[64], g2BadX)), "an invalid G2 point fails even next to P = O");
    }

    @Test
    void pairingMatchesTheFormerImplementation() {
        Random rnd = new Random(197);
        byte[] g2 = Hex.decode(PrecompileBench.G2);
        byte[] g1 = LegacyBn254.encodeG1(G);
        for (int i = 0; i < 4; i++) {
            BigInteger a = new BigInteger(200, rnd), b = new BigInteger(200, rnd);
            LegacyBn254Pairing.G2 lg2 = LegacyBn254Pairing.decodeG2(g2, 0);
            LegacyBn254Pairing.G2 bq = LegacyBn254Pairing.mul(lg2, b);
            byte[] bq2 = encodeG2(bq);
            byte[] ap = LegacyBn254.encodeG1(LegacyBn254.mul(G, a));
            byte[] minusAbP = LegacyBn254.encodeG1(LegacyBn254.mul(G, N.subtract(a.multiply(b).mod(N))));
            byte[] one = concat(ap, bq2, minusAbP, g2);
            assertArrayEquals(LEGACY_PAIRING.run(one), PAIRING.run(one));
            assertEquals(1, PAIRING.run(one)[31]);
            byte[] notOne = concat(ap, bq2, g1, g2);
            assertArrayEquals(LEGACY_PAIRING.run(notOne), PAIRING.run(notOne));
            assertEquals(0, PAIRING.run(notOne)[31]);
            // with a pair whose G1 point is at infinity in between
            byte[] withInfinity = concat(ap, bq2, new byte[64], g2, minusAbP, g2);
            assertEquals(1, PAIRING.run(withInfinity)[31]);
        }
    }

    private static byte[] encodeG2(LegacyBn254Pairing.G2 q) {
        return concat(word(q.x().b()), word(q.x().a()), word(q.y().b()), word(q.y().a()));
    }

    @Test
    void hardPartChainEqualsTheExponent() {
        Random rnd = new Random(12);
        Bn254Tower t = new Bn254Tower();
        long[] f = new long[48];
        for (int i = 0; i < 48; i += 4) Bn254Fp.set(f, i, new BigInteger(254, rnd));
        Bn254Pairing.easyPart(t, f);
        long[] viaChain = f.clone();
        Bn254Pairing.hardPart(t, viaChain);
        Bn254Pairing.pow(t, f, Bn254Pairing.HARD_EXPONENT);
        assertArrayEquals(f, viaChain);
    }

    @Test
    void cyclotomicSquaringMatchesSquaring() {
        Random rnd = new Random(14);
        Bn254Tower t = new Bn254Tower();
        for (int k = 0; k < 20; k++) {
            long[] f = new long[48], g = new long[48], h = new long[48];
            for (int i = 0; i < 48; i += 4) Bn254Fp.set(f, i, new BigInteger(254, rnd));
            Bn254Pairing.easyPart(t, f);
            t.fp12Sqr(g, 0, f, 0);
            t.fp12CyclotomicSqr(h, 0, f, 0);
            assertArrayEquals(g, h);
            t.fp12CyclotomicSqr(f, 0, f, 0); // in place
            assertArrayEquals(g, f);
        }
        assertEquals(BigInteger.valueOf(Bn254Pairing.U), fromNaf(Bn254Pairing.naf(Bn254Pairing.U)));
        assertEquals(Bn254Pairing.ATE_LOOP_COUNT, fromNaf(Bn254Pairing.ATE_NAF));
        assertEquals(22, countNonZero(Bn254Pairing.ATE_NAF));
    }

    private static BigInteger fromNaf(byte[] d) {
        BigInteger v = BigInteger.ZERO;
        for (int i = 0; i < d.length; i++) {
            if (i + 1 < d.length) assertTrue(d[i] == 0 || d[i + 1] == 0, "non-adjacent");
            v = v.shiftLeft(1).add(BigInteger.valueOf(d[i]));
        }
        assertEquals(1, d[0]);
        return v;
    }

    private static int countNonZero(byte[] d) {
        int n = 0;
        for (byte b : d) if (b != 0) n++;
        return n;
    }

    @Test
    void towerInverseAndFrobenius() {
        Random rnd = new Random(13);
        Bn254Tower t = new Bn254Tower();
        long[] f = new long[48], g = new long[48], h = new long[48];
        for (int i = 0; i < 48; i += 4) Bn254Fp.set(f, i, new BigInteger(254, rnd));
        t.fp12Inv(g, 0, f, 0);
        t.fp12Mul(h, 0, f, 0, g, 0);
        assertTrue(Bn254Tower.fp12IsOne(h, 0));
        // Frobenius is the p-th power
        long[] viaPow = f.clone();
        Bn254Pairing.pow(t, viaPow, P);
        t.fp12Frobenius(g, 0, f, 0);
        assertArrayEquals(viaPow, g);
        // squaring is multiplication by itself
        t.fp12Sqr(g, 0, f, 0);
        t.fp12Mul(h, 0, f, 0, f, 0);
        assertArrayEquals(h, g);
    }

    /** sqrt in F_p (p ≡ 3 mod 4), or null. */
    private static BigInteger sqrtFp(BigInteger a) {
        BigInteger r = a.modPow(P.add(BigInteger.ONE).shiftRight(2), P);
        return r.multiply(r).mod(P).equals(a.mod(P)) ? r : null;
    }

    @Test
    void g2SubgroupCheckAgreesWithTheOrder() {
        Random rnd = new Random(2);
        Bn254Tower t = new Bn254Tower();
        BigInteger inv82 = BigInteger.valueOf(82).modInverse(P);
        BigInteger b0 = BigInteger.valueOf(27).multiply(inv82).mod(P), b1 = BigInteger.valueOf(-3).multiply(inv82).mod(P);
        int offSubgroup = 0;
        for (int i = 0; i < 40 && offSubgroup < 6; i++) {
            // a random point on the twist: y² = x³ + b'
            BigInteger x0 = new BigInteger(254, rnd).mod(P), x1 = new BigInteger(254, rnd).mod(P);
            BigInteger sq0 = x0.multiply(x0).subtract(x1.multiply(x1)), sq1 = x0.multiply(x1).shiftLeft(1);
            BigInteger a0 = sq0.multiply(x0).subtract(sq1.multiply(x1)).add(b0).mod(P);
            BigInteger a1 = sq0.multiply(x1).add(sq1.multiply(x0)).add(b1).mod(P);
            BigInteger norm = sqrtFp(a0.multiply(a0).add(a1.multiply(a1)).mod(P));
            if (norm == null) continue;
            BigInteger half = BigInteger.TWO.modInverse(P);
            BigInteger y0 = sqrtFp(a0.add(norm).multiply(half).mod(P));
            if (y0 == null) y0 = sqrtFp(a0.subtract(norm).multiply(half).mod(P));
            if (y0 == null || y0.signum() == 0) continue;
            BigInteger y1 = a1.multiply(y0.shiftLeft(1).modInverse(P)).mod(P);
            long[] q = new long[16];
            Bn254Fp.set(q, 0, x0);
            Bn254Fp.set(q, 4, x1);
            Bn254Fp.set(q, 8, y0);
            Bn254Fp.set(q, 12, y1);
            byte[] enc = concat(word(x1), word(x0), word(y1), word(y0));
            assertEquals(-1, Bn254Pairing.decodeG2(t, enc, 0, new long[16], 0), "random twist points are not in G2");
            assertEquals(Bn254Pairing.inSubgroupByOrder(t, q, 0), Bn254Pairing.inSubgroup(t, q, 0));
            assertNull(PAIRING.run(concat(LegacyBn254.encodeG1(G), enc)));
            assertNull(PAIRING.run(concat(new byte[64], enc)));
            // the former implementation agrees (it checks [N]Q = O)
            assertNull(LEGACY_PAIRING.run(concat(new byte[64], enc)));
            offSubgroup++;
        }
        assertTrue(offSubgroup >= 3);
        byte[] g2 = Hex.decode(PrecompileBench.G2);
        for (int i = 0; i < 3; i++) {
            byte[] kq = encodeG2(LegacyBn254Pairing.mul(LegacyBn254Pairing.decodeG2(g2, 0), new BigInteger(100, rnd)));
            long[] q = new long[16];
            assertEquals(1, Bn254Pairing.decodeG2(t, kq, 0, q, 0));
            assertTrue(Bn254Pairing.inSubgroupByOrder(t, q, 0));
        }
    }
}
