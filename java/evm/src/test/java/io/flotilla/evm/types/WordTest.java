package io.flotilla.evm.types;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** The boxed 256-bit word used outside the interpreter loop. */
class WordTest {
    private static final BigInteger MOD = BigInteger.ONE.shiftLeft(256);

    @Test
    void bytesRoundTripBigEndian() {
        byte[] b = Hex.decode("0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
        Word w = Word.fromBytes(b);
        assertArrayEquals(b, w.toBytes());
        assertEquals(0x191a1b1c1d1e1f20L, w.l0());
        assertEquals(new BigInteger(1, b), w.toBigInteger());
    }

    @Test
    void shortInputIsLeftPadded() {
        assertEquals(Word.of(0x0102), Word.fromBytes(new byte[] {1, 2}));
        assertArrayEquals(new byte[] {1, 2}, Word.of(0x0102).toMinimalBytes());
        assertArrayEquals(new byte[0], Word.ZERO.toMinimalBytes());
    }

    @Test
    void addAndSubWrapModulo2Pow256() {
        BigInteger a = MOD.subtract(BigInteger.valueOf(3));
        BigInteger b = BigInteger.ONE.shiftLeft(64).add(BigInteger.valueOf(7));
        assertEquals(a.add(b).mod(MOD), Word.fromBigInteger(a).add(Word.fromBigInteger(b)).toBigInteger());
        assertEquals(b.subtract(a).mod(MOD), Word.fromBigInteger(b).sub(Word.fromBigInteger(a)).toBigInteger());
        assertEquals(BigInteger.ONE.shiftLeft(192), Word.fromBigInteger(BigInteger.ONE.shiftLeft(192).subtract(BigInteger.ONE)).add(Word.ONE).toBigInteger());
    }

    @Test
    void comparisonIsUnsigned() {
        assertTrue(Word.fromHex("0x8000000000000000").compareTo(Word.of(1)) > 0);
        assertTrue(Word.fromHex("0x" + "ff".repeat(32)).compareTo(Word.fromHex("0x" + "ff".repeat(31))) > 0);
    }

    @Test
    void addressTakesTheLow160Bits() {
        Word w = Word.fromHex("0xffffffffffffffffffffffff" + "1111111111111111111111111111111111111111");
        assertEquals(Address.fromHex("0x1111111111111111111111111111111111111111"), Address.fromWord(w));
    }
}
