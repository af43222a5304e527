package io.flotilla.evm.types;

import java.math.BigInteger;

/**
 * An immutable unsigned 256-bit word as four 64-bit limbs, {@code l0} least significant.
 * Used for storage keys/values and balances; the interpreter keeps words unboxed on its long stack.
 */
public record Word(long l0, long l1, long l2, long l3) implements Comparable<Word> {
    public static final Word ZERO = new Word(0, 0, 0, 0);
    public static final Word ONE = new Word(1, 0, 0, 0);
    private static final BigInteger MASK = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);

    public static Word of(long v) {
        return v == 0 ? ZERO : new Word(v, 0, 0, 0);
    }

    public boolean isZero() {
        return (l0 | l1 | l2 | l3) == 0;
    }

    /** Reads up to 32 big-endian bytes; shorter input is left-padded with zeros. */
    public static Word fromBytes(byte[] b, int off, int len) {
        long[] limbs = new long[4];
        for (int i = 0; i < len; i++) {
            int bytePos = len - 1 - i; // significance of this byte from the right
            int limb = bytePos >>> 3;
            limbs[limb] |= (b[off + i] & 0xFFL) << ((bytePos & 7) * 8);
        }
        return new Word(limbs[0], limbs[1], limbs[2], limbs[3]);
    }

    public static Word fromBytes(byte[] b) {
        if (b.length > 32) throw new IllegalArgumentException("more than 32 bytes");
        return fromBytes(b, 0, b.length);
    }

    public byte[] toBytes() {
        byte[] out = new byte[32];
        putLong(out, 0, l3);
        putLong(out, 8, l2);
        putLong(out, 16, l1);
        putLong(out, 24, l0);
        return out;
    }

    /** Big-endian bytes without leading zeros (the RLP integer form). */
    public byte[] toMinimalBytes() {
        byte[] full = toBytes();
        int i = 0;
        while (i < 32 && full[i] == 0) i++;
        return java.util.Arrays.copyOfRange(full, i, 32);
    }

    public static Word fromBigInteger(BigInteger v) {
        BigInteger m = v.and(MASK);
        return new Word(m.longValue(), m.shiftRight(64).longValue(), m.shiftRight(128).longValue(), m.shiftRight(192).longValue());
    }

    public BigInteger toBigInteger() {
        return new BigInteger(1, toBytes());
    }

    public static Word fromHex(String hex) {
        return fromBigInteger(new BigInteger(Hex.strip(hex).isEmpty() ? "0" : Hex.strip(hex), 16));
    }

    /** True when the value fits in a non-negative long. */
    public boolean fitsLong() {
        return (l1 | l2 | l3) == 0 && l0 >= 0;
    }

    public Word add(Word o) {
        long r0 = l0 + o.l0;
        long c = Long.compareUnsigned(r0, l0) < 0 ? 1 : 0;
        long r1 = l1 + o.l1 + c;
        c = (Long.compareUnsigned(r1, l1) < 0 || (c == 1 && r1 == l1)) ? 1 : 0;
        long r2 = l2 + o.l2 + c;
        c = (Long.compareUnsigned(r2, l2) < 0 || (c == 1 && r2 == l2)) ? 1 : 0;
        long r3 = l3 + o.l3 + c;
        return new Word(r0, r1, r2, r3);
    }

    public Word sub(Word o) {
        long r0 = l0 - o.l0;
        long b = Long.compareUnsigned(l0, o.l0) < 0 ? 1 : 0;
        long r1 = l1 - o.l1 - b;
        b = (Long.compareUnsigned(l1, o.l1) < 0 || (b == 1 && l1 == o.l1)) ? 1 : 0;
        long r2 = l2 - o.l2 - b;
        b = (Long.compareUnsigned(l2, o.l2) < 0 || (b == 1 && l2 == o.l2)) ? 1 : 0;
        long r3 = l3 - o.l3 - b;
        return new Word(r0, r1, r2, r3);
    }

    @Override
    public int compareTo(Word o) {
        int c = Long.compareUnsigned(l3, o.l3);
        if (c != 0) return c;
        c = Long.compareUnsigned(l2, o.l2);
        if (c != 0) return c;
        c = Long.compareUnsigned(l1, o.l1);
        if (c != 0) return c;
        return Long.compareUnsigned(l0, o.l0);
    }

    static void putLong(byte[] out, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            out[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    @Override
    public String toString() {
        return "0x" + toBigInteger().toString(16);
    }
}
