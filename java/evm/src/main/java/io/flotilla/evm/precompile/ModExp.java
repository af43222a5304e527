package io.flotilla.evm.precompile;

import java.math.BigInteger;

/** 0x05: base^exp mod m with EIP-2565 pricing. */
final class ModExp implements Precompile {
    private static final BigInteger MAX_LONG = BigInteger.valueOf(Long.MAX_VALUE);

    private static BigInteger field(byte[] in, int off) {
        byte[] b = new byte[32];
        for (int i = 0; i < 32; i++) b[i] = off + i < in.length ? in[off + i] : 0;
        return new BigInteger(1, b);
    }

    /** Reads len bytes starting at off (zero past the end of input) as an unsigned integer. */
    private static BigInteger slice(byte[] in, long off, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            long idx = off + i;
            b[i] = idx < in.length ? in[(int) idx] : 0;
        }
        return new BigInteger(1, b);
    }

    @Override
    public long gas(byte[] input) {
        BigInteger baseLen = field(input, 0), expLen = field(input, 32), modLen = field(input, 64);
        BigInteger maxLen = baseLen.max(modLen);
        BigInteger words = maxLen.add(BigInteger.valueOf(7)).shiftRight(3);
        BigInteger complexity = words.multiply(words);
        BigInteger iterations;
        if (expLen.compareTo(BigInteger.valueOf(32)) <= 0) {
            BigInteger exp = baseLen.compareTo(MAX_LONG) > 0 ? BigInteger.ZERO
                    : slice(input, 96 + baseLen.longValue(), expLen.intValue());
            iterations = BigInteger.valueOf(Math.max(exp.bitLength() - 1, 0));
        } else {
            BigInteger head = baseLen.compareTo(MAX_LONG) > 0 ? BigInteger.ZERO : slice(input, 96 + baseLen.longValue(), 32);
            iterations = expLen.subtract(BigInteger.valueOf(32)).shiftLeft(3).add(BigInteger.valueOf(Math.max(head.bitLength() - 1, 0)));
        }
        iterations = iterations.max(BigInteger.ONE);
        BigInteger gas = complexity.multiply(iterations).divide(BigInteger.valueOf(3)).max(BigInteger.valueOf(200));
        return gas.compareTo(MAX_LONG) > 0 ? Long.MAX_VALUE : gas.longValue();
    }

    @Override
    public byte[] run(byte[] input) {
        // Gas has been paid; with a non-zero modulus length it bounds the other lengths too.
        BigInteger modLenBig = field(input, 64);
        if (modLenBig.signum() == 0) return new byte[0];
        int baseLen = field(input, 0).intValueExact();
        int expLen = field(input, 32).intValueExact();
        int modLen = modLenBig.intValueExact();
        BigInteger base = slice(input, 96, baseLen);
        BigInteger exp = slice(input, 96L + baseLen, expLen);
        BigInteger mod = slice(input, 96L + baseLen + expLen, modLen);
        byte[] out = new byte[modLen];
        if (mod.signum() == 0) return out;
        byte[] r = base.modPow(exp, mod).toByteArray();
        int n = Math.min(r.length, modLen);
        System.arraycopy(r, r.length - n, out, modLen - n, n);
        return out;
    }
}
