package io.flotilla.evm.precompile;

import java.math.BigInteger;

/**
 * 0x05: base^exp mod m with EIP-2565 pricing. The three lengths are 256-bit words and are kept as
 * BigInteger until they are known to fit: a length or offset near 2^63, 2^64 or 2^256 either prices the
 * call beyond any gas (out of gas) or only reads zeros past the end of the input.
 */
final class ModExp implements Precompile {
    private static final BigInteger MAX_LONG = BigInteger.valueOf(Long.MAX_VALUE);
    private static final BigInteger HEADER = BigInteger.valueOf(96);
    private static final BigInteger THIRTY_TWO = BigInteger.valueOf(32);
    /**
     * The largest modulus length this implementation can produce output for (128 MiB; a BigInteger holds at
     * most 2^31 bits). Its price is already above 9 * 10^13 gas, so longer moduli are priced as unpayable:
     * this differs from the specs only for a call given more gas than that.
     */
    static final long MAX_MODULUS_LENGTH = 1L << 27;

    /** The 32-byte big-endian word at off (zero past the end of input). */
    private static BigInteger field(byte[] in, int off) {
        return slice(in, BigInteger.valueOf(off), 32);
    }

    /**
     * len bytes (len <= 32 here) of in starting at off, read as an unsigned integer; bytes past the end of
     * the input read as zero (buffer_read in the specs), so an offset at or beyond in.length gives zero.
     */
    private static BigInteger slice(byte[] in, BigInteger off, int len) {
        if (len == 0 || off.compareTo(BigInteger.valueOf(in.length)) >= 0) return BigInteger.ZERO;
        int start = off.intValueExact(); // < in.length
        byte[] b = new byte[len];
        System.arraycopy(in, start, b, 0, Math.min(len, in.length - start));
        return new BigInteger(1, b);
    }

    @Override
    public long gas(byte[] input) {
        BigInteger baseLen = field(input, 0), expLen = field(input, 32), modLen = field(input, 64);
        if (modLen.compareTo(BigInteger.valueOf(MAX_MODULUS_LENGTH)) > 0) return Long.MAX_VALUE;
        // The first min(32, expLen) bytes of the exponent, which start at 96 + baseLen (up to 2^256 + 95).
        BigInteger head = slice(input, HEADER.add(baseLen), expLen.min(THIRTY_TWO).intValue());
        BigInteger words = baseLen.max(modLen).add(BigInteger.valueOf(7)).shiftRight(3);
        BigInteger complexity = words.multiply(words);
        BigInteger iterations = BigInteger.valueOf(Math.max(head.bitLength() - 1, 0));
        if (expLen.compareTo(THIRTY_TWO) > 0) iterations = iterations.add(expLen.subtract(THIRTY_TWO).shiftLeft(3));
        iterations = iterations.max(BigInteger.ONE);
        BigInteger gas = complexity.multiply(iterations).divide(BigInteger.valueOf(3)).max(BigInteger.valueOf(200));
        return gas.compareTo(MAX_LONG) >= 0 ? Long.MAX_VALUE : gas.longValue();
    }

    @Override
    public byte[] run(byte[] input) {
        BigInteger baseLenBig = field(input, 0), expLenBig = field(input, 32), modLenBig = field(input, 64);
        if (modLenBig.signum() == 0) return new byte[0]; // the result has no bytes, whatever base and exponent are
        // Gas has been paid, and gas() prices any modulus length above MAX_MODULUS_LENGTH as unpayable.
        if (modLenBig.compareTo(BigInteger.valueOf(MAX_MODULUS_LENGTH)) > 0) return null;
        int modLen = modLenBig.intValueExact();
        byte[] out = new byte[modLen];
        // The modulus follows base and exponent: when it starts at or past the end of the input it is zero, and
        // so is the output. Otherwise base and exponent lie wholly inside the input, so their lengths fit an int.
        BigInteger modStartBig = HEADER.add(baseLenBig).add(expLenBig);
        if (modStartBig.compareTo(BigInteger.valueOf(input.length)) >= 0) return out;
        int baseLen = baseLenBig.intValueExact();
        int expLen = expLenBig.intValueExact();
        int modStart = modStartBig.intValueExact();
        BigInteger mod = paddedValue(input, modStart, modLen);
        if (mod.signum() == 0) return out;
        BigInteger base = paddedValue(input, 96, baseLen);
        BigInteger exp = paddedValue(input, 96 + baseLen, expLen);
        byte[] r = base.modPow(exp, mod).toByteArray();
        int n = Math.min(r.length, modLen);
        System.arraycopy(r, r.length - n, out, modLen - n, n);
        return out;
    }

    /**
     * The len-byte big-endian value at in[start..] (start < in.length), zero-padded on the right past the end
     * of the input: the bytes that exist, shifted left by the missing ones.
     */
    private static BigInteger paddedValue(byte[] in, int start, int len) {
        int avail = (int) Math.min(len, (long) in.length - start);
        byte[] b = new byte[avail];
        System.arraycopy(in, start, b, 0, avail);
        BigInteger v = new BigInteger(1, b);
        return v.signum() == 0 ? v : v.shiftLeft(8 * (len - avail));
    }
}
