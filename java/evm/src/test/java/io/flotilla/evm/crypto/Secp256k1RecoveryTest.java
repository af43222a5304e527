package io.flotilla.evm.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.Test;

/** The limb recovery (field, wNAF, points, recovery) against BigInteger and the Bouncy Castle reference path. */
class Secp256k1RecoveryTest {
    private static final BigInteger P = Secp256k1Field.P_BIG;
    private static final BigInteger N = Secp256k1.N;
    private static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256k1");
    private static final BigInteger TWO256 = BigInteger.ONE.shiftLeft(256);

    private static long[] fe(BigInteger v) {
        long[] r = new long[4];
        Secp256k1Field.set(r, 0, v);
        return r;
    }

    private static List<BigInteger> fieldValues(Random rnd) {
        List<BigInteger> v = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            v.add(BigInteger.valueOf(i));
            v.add(P.subtract(BigInteger.valueOf(i + 1)));
            v.add(BigInteger.ONE.shiftLeft(64 * (i % 4) + i % 7).mod(P));
            v.add(TWO256.subtract(P).shiftLeft(i % 200).mod(P));
            v.add(BigInteger.ONE.shiftLeft(256 - i).subtract(BigInteger.ONE).mod(P));
        }
        for (int i = 0; i < 3000; i++) v.add(new BigInteger(256 + 16, rnd).mod(P));
        return v;
    }

    @Test
    void fieldMatchesBigInteger() {
        Random rnd = new Random(1);
        List<BigInteger> vals = fieldValues(rnd);
        long[] r = new long[4];
        for (int i = 0; i < vals.size(); i++) {
            BigInteger a = vals.get(i), b = vals.get((i * 7919 + 13) % vals.size());
            long[] x = fe(a), y = fe(b);
            Secp256k1Field.mul(r, 0, x, 0, y, 0);
            assertEquals(a.multiply(b).mod(P), Secp256k1Field.value(r, 0), () -> a + " * " + b);
            Secp256k1Field.sqr(r, 0, x, 0);
            assertEquals(a.multiply(a).mod(P), Secp256k1Field.value(r, 0), () -> a + "^2");
            Secp256k1Field.add(r, 0, x, 0, y, 0);
            assertEquals(a.add(b).mod(P), Secp256k1Field.value(r, 0), () -> a + " + " + b);
            Secp256k1Field.sub(r, 0, x, 0, y, 0);
            assertEquals(a.subtract(b).mod(P), Secp256k1Field.value(r, 0), () -> a + " - " + b);
            Secp256k1Field.neg(r, 0, x, 0);
            assertEquals(a.negate().mod(P), Secp256k1Field.value(r, 0), () -> "-" + a);
            if (a.signum() != 0) {
                Secp256k1Field.inv(r, 0, x, 0);
                assertEquals(a.modInverse(P), Secp256k1Field.value(r, 0));
            }
            if (i % 4 == 0) {
                boolean square = a.modPow(P.subtract(BigInteger.ONE).shiftRight(1), P).compareTo(BigInteger.ONE) <= 0;
                boolean got = Secp256k1Field.sqrt(r, 0, x, 0, new long[24], 0);
                assertEquals(square, got, () -> "square " + a);
                if (got) assertEquals(a, Secp256k1Field.value(r, 0).pow(2).mod(P));
            }
            // aliasing: output over an input
            long[] z = x.clone();
            Secp256k1Field.mul(z, 0, z, 0, y, 0);
            assertEquals(a.multiply(b).mod(P), Secp256k1Field.value(z, 0));
        }
        // p itself and values above it are not field elements
        long[] t = new long[4];
        assertTrue(!Secp256k1Field.set(t, 0, P.longValue(), -1, -1, -1));
        assertTrue(!Secp256k1Field.set(t, 0, -1, -1, -1, -1));
        assertTrue(Secp256k1Field.set(t, 0, P.longValue() - 1, -1, -1, -1));
    }

    @Test
    void wnafReconstructsTheScalar() {
        Random rnd = new Random(2);
        for (int i = 0; i < 5000; i++) {
            BigInteger k = switch (i % 5) {
                case 0 -> BigInteger.valueOf(i);
                case 1 -> N.subtract(BigInteger.valueOf(1 + i));
                case 2 -> BigInteger.ONE.shiftLeft(rnd.nextInt(256)).mod(N);
                default -> new BigInteger(256, rnd).mod(N);
            };
            for (int width : new int[] {2, 5, 8}) {
                int[] naf = new int[258];
                int len = Secp256k1Recovery.wnaf(naf, k, width);
                BigInteger sum = BigInteger.ZERO;
                int last = 10_000;
                for (int j = len - 1; j >= 0; j--) {
                    sum = sum.shiftLeft(1).add(BigInteger.valueOf(naf[j]));
                    if (naf[j] != 0) {
                        assertTrue((naf[j] & 1) != 0 && Math.abs(naf[j]) < 1 << (width - 1), "digit " + naf[j]);
                        assertTrue(last - j >= width, "digits too close");
                        last = j;
                    }
                }
                assertEquals(k, sum, "k " + k.toString(16) + " w " + width);
                if (len > 0) assertTrue(naf[len - 1] != 0);
            }
        }
    }

    @Test
    void endomorphismSplitIsShortAndExact() {
        // λ·G = (β·Gx, Gy)
        ECPoint lg = CURVE.getG().multiply(Secp256k1Recovery.LAMBDA).normalize();
        assertEquals(CURVE.getG().getAffineXCoord().toBigInteger().multiply(Secp256k1Recovery.BETA).mod(P), lg.getAffineXCoord().toBigInteger());
        assertEquals(CURVE.getG().getAffineYCoord().toBigInteger(), lg.getAffineYCoord().toBigInteger());
        Random rnd = new Random(7);
        BigInteger[] out = new BigInteger[2];
        for (int i = 0; i < 20000; i++) {
            BigInteger k = switch (i % 6) {
                case 0 -> BigInteger.valueOf(i);
                case 1 -> N.subtract(BigInteger.valueOf(1 + i));
                case 2 -> Secp256k1Recovery.LAMBDA.multiply(BigInteger.valueOf(i)).mod(N);
                case 3 -> BigInteger.ONE.shiftLeft(rnd.nextInt(256)).mod(N);
                default -> new BigInteger(256, rnd).mod(N);
            };
            Secp256k1Recovery.split(k, out, 0);
            assertEquals(k, out[0].add(out[1].multiply(Secp256k1Recovery.LAMBDA)).mod(N));
            assertTrue(out[0].bitLength() <= 129 && out[1].bitLength() <= 129, k.toString(16));
        }
    }

    private static byte[] bytes32(BigInteger v) {
        byte[] out = new byte[32];
        byte[] raw = v.toByteArray();
        int n = Math.min(32, raw.length);
        System.arraycopy(raw, raw.length - n, out, 32 - n, n);
        return out;
    }

    private static void same(byte[] hash, int recId, BigInteger r, BigInteger s) {
        Optional<Address> ref = Secp256k1.recoverReference(hash, recId, r, s);
        Optional<Address> got = Secp256k1.recoverWithLimbs(hash, recId, r, s);
        assertEquals(ref, got, () -> "r " + r.toString(16) + " s " + s.toString(16) + " recId " + recId + " hash "
                + new BigInteger(1, hash).toString(16));
        Optional<Address> lib = Secp256k1.recoverNative(hash, recId, r, s);
        assertEquals(ref, lib, () -> "libsecp256k1: r " + r.toString(16) + " s " + s.toString(16) + " recId " + recId + " hash "
                + new BigInteger(1, hash).toString(16));
    }

    /** The node's senders, votes and the ECRECOVER precompile run libsecp256k1 on the platform the image is built for. */
    @Test
    void libsecp256k1IsLoadedOnLinuxAmd64() {
        if ("amd64".equals(System.getProperty("os.arch")) && System.getProperty("os.name").startsWith("Linux")) {
            assertTrue(Secp256k1.nativeRecovery(), "libsecp256k1 did not load (see the log): recovery fell back to Bouncy Castle");
        }
    }

    @Test
    void realSignaturesRecoverTheirSigner() {
        Random rnd = new Random(3);
        ECPoint g = CURVE.getG();
        for (int i = 0; i < 400; i++) {
            BigInteger d = new BigInteger(256, rnd).mod(N.subtract(BigInteger.ONE)).add(BigInteger.ONE);
            BigInteger k = new BigInteger(256, rnd).mod(N.subtract(BigInteger.ONE)).add(BigInteger.ONE);
            byte[] hash = bytes32(new BigInteger(256, rnd));
            if (i % 10 == 0) hash = new byte[32];
            BigInteger e = new BigInteger(1, hash);
            ECPoint rp = g.multiply(k).normalize();
            BigInteger x = rp.getAffineXCoord().toBigInteger();
            if (x.compareTo(N) >= 0) continue;
            BigInteger r = x;
            BigInteger s = k.modInverse(N).multiply(e.add(r.multiply(d))).mod(N);
            if (s.signum() == 0) continue;
            int recId = rp.getAffineYCoord().toBigInteger().testBit(0) ? 1 : 0;
            Address signer = Secp256k1.addressOf(d);
            assertEquals(Optional.of(signer), Secp256k1.recoverWithLimbs(hash, recId, r, s));
            // the high-s twin with the other parity recovers the same signer
            assertEquals(Optional.of(signer), Secp256k1.recoverWithLimbs(hash, 1 - recId, r, N.subtract(s)));
            assertEquals(Optional.of(signer), Secp256k1.recover(hash, recId, r, s));
            assertEquals(Optional.of(signer), Secp256k1.recoverInEvm(hash, 1 - recId, r, N.subtract(s)));
            same(hash, recId, r, s);
            same(hash, 1 - recId, r, s);
        }
    }

    @Test
    void randomInputsMatchReference() {
        Random rnd = new Random(4);
        int found = 0, empty = 0;
        for (int i = 0; i < 6000; i++) {
            BigInteger r = new BigInteger(256, rnd);
            BigInteger s = new BigInteger(256, rnd);
            if (i % 3 != 0) {
                r = r.mod(N);
                s = s.mod(N);
            }
            byte[] hash = bytes32(new BigInteger(256, rnd));
            int recId = rnd.nextInt(2);
            Optional<Address> ref = Secp256k1.recoverReference(hash, recId, r, s);
            if (ref.isPresent()) found++;
            else empty++;
            same(hash, recId, r, s);
        }
        assertTrue(found > 1000 && empty > 1000, found + " / " + empty);
    }

    @Test
    void edgeCasesMatchReference() {
        Random rnd = new Random(5);
        BigInteger gx = CURVE.getG().getAffineXCoord().toBigInteger();
        BigInteger[] rs = {
            BigInteger.ZERO, BigInteger.ONE, BigInteger.TWO, N.subtract(BigInteger.ONE), N, N.add(BigInteger.ONE),
            P.subtract(BigInteger.ONE), P, P.add(BigInteger.ONE), TWO256.subtract(BigInteger.ONE), gx, BigInteger.valueOf(-1),
        };
        BigInteger[] hashes = {
            BigInteger.ZERO, BigInteger.ONE, N.subtract(BigInteger.ONE), N, N.add(BigInteger.ONE), P, TWO256.subtract(BigInteger.ONE),
        };
        for (BigInteger r : rs) {
            for (BigInteger s : rs) {
                for (BigInteger h : hashes) {
                    for (int recId = -1; recId <= 2; recId++) {
                        if (r.signum() < 0 || s.signum() < 0) {
                            // negative values: both reject
                            assertEquals(Optional.empty(), Secp256k1.recoverWithLimbs(bytes32(h), recId, r, s));
                            continue;
                        }
                        same(bytes32(h), recId, r, s);
                    }
                }
            }
        }
        // hashes that are not 32 bytes long
        for (int len : new int[] {0, 1, 20, 31, 33, 64}) {
            byte[] h = new byte[len];
            rnd.nextBytes(h);
            same(h, 0, gx, BigInteger.valueOf(12345));
            same(h, 1, gx, N.subtract(BigInteger.TWO));
        }
    }

    /** Q = (s·R - e·G)/r for R = a·G with small u1 = -e/r and u2 = s/r: doublings and infinity inside the additions. */
    @Test
    void smallMultiplesAndInfinityMatchReference() {
        ECPoint g = CURVE.getG();
        for (int a = 1; a <= 6; a++) {
            for (int sign = 0; sign < 2; sign++) {
                ECPoint rp = g.multiply(sign == 0 ? BigInteger.valueOf(a) : N.subtract(BigInteger.valueOf(a))).normalize();
                BigInteger r = rp.getAffineXCoord().toBigInteger();
                if (r.compareTo(N) >= 0) continue;
                int recId = rp.getAffineYCoord().toBigInteger().testBit(0) ? 1 : 0;
                for (int u1 = -40; u1 <= 40; u1++) {
                    for (int u2 = -40; u2 <= 40; u2++) {
                        if (u2 == 0) continue;
                        BigInteger s = BigInteger.valueOf(u2).multiply(r).mod(N);
                        BigInteger e = BigInteger.valueOf(-u1).multiply(r).mod(N);
                        int total = u1 + u2 * (sign == 0 ? a : -a);
                        Optional<Address> got = Secp256k1.recoverWithLimbs(bytes32(e), recId, r, s);
                        if (total == 0) {
                            assertEquals(Optional.empty(), got, "infinity at a " + a + " u1 " + u1 + " u2 " + u2);
                            assertNull(Secp256k1Recovery.recover(bytes32(e), recId, r, s));
                        } else {
                            BigInteger q = BigInteger.valueOf(total).mod(N);
                            assertEquals(Optional.of(Secp256k1.addressOf(q)), got, "a " + a + " u1 " + u1 + " u2 " + u2);
                        }
                        if ((u1 + u2) % 7 == 0) same(bytes32(e), recId, r, s);
                    }
                }
            }
        }
        // large scalars around n: u1 = n - 1 etc.
        BigInteger gx = g.getAffineXCoord().toBigInteger();
        BigInteger[] big = {BigInteger.ONE, N.subtract(BigInteger.ONE), N.subtract(BigInteger.TWO), N.shiftRight(1), N.shiftRight(1).add(BigInteger.ONE)};
        for (BigInteger u1 : big) {
            for (BigInteger u2 : big) {
                BigInteger s = u2.multiply(gx).mod(N);
                BigInteger e = u1.negate().multiply(gx).mod(N);
                same(bytes32(e), 0, gx, s);
                same(bytes32(e), 1, gx, s);
                same(bytes32(e.add(N)), 0, gx, s);
            }
        }
    }

    @Test
    void publicKeyBytesMatchBouncyCastle() {
        Random rnd = new Random(6);
        for (int i = 0; i < 50; i++) {
            BigInteger d = new BigInteger(255, rnd).add(BigInteger.ONE);
            BigInteger k = new BigInteger(255, rnd).add(BigInteger.ONE);
            byte[] hash = bytes32(new BigInteger(256, rnd));
            ECPoint rp = CURVE.getG().multiply(k).normalize();
            BigInteger r = rp.getAffineXCoord().toBigInteger();
            if (r.compareTo(N) >= 0) continue;
            BigInteger s = k.modInverse(N).multiply(new BigInteger(1, hash).add(r.multiply(d))).mod(N);
            int recId = rp.getAffineYCoord().toBigInteger().testBit(0) ? 1 : 0;
            byte[] enc = CURVE.getG().multiply(d).normalize().getEncoded(false);
            assertArrayEquals(java.util.Arrays.copyOfRange(enc, 1, 65), Secp256k1Recovery.recover(hash, recId, r, s));
        }
    }
}
