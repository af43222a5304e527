package io.flotilla.evm.precompile;

/** 0x09: the BLAKE2b F compression function (EIP-152); gas is one per round. */
final class Blake2f implements Precompile {
    private static final long[] IV = {
        0x6a09e667f3bcc908L, 0xbb67ae8584caa73bL, 0x3c6ef372fe94f82bL, 0xa54ff53a5f1d36f1L,
        0x510e527fade682d1L, 0x9b05688c2b3e6c1fL, 0x1f83d9abfb41bd6bL, 0x5be0cd19137e2179L
    };
    private static final int[][] SIGMA = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
        {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
        {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
        {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
        {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
        {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
        {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
        {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
        {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
        {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0}
    };

    @Override
    public long gas(byte[] input) {
        if (input.length != 213) return 0;
        return ((input[0] & 0xFFL) << 24) | ((input[1] & 0xFFL) << 16) | ((input[2] & 0xFFL) << 8) | (input[3] & 0xFFL);
    }

    private static long le(byte[] b, int off) {
        long v = 0;
        for (int i = 7; i >= 0; i--) v = (v << 8) | (b[off + i] & 0xFFL);
        return v;
    }

    @Override
    public byte[] run(byte[] in) {
        if (in.length != 213) return null;
        int finalFlag = in[212];
        if (finalFlag != 0 && finalFlag != 1) return null;
        long rounds = gas(in);
        long[] m = new long[16];
        for (int i = 0; i < 16; i++) m[i] = le(in, 68 + 8 * i);
        byte[] out = new byte[64];
        compress(in, 4, m, le(in, 196), le(in, 204), finalFlag == 1, rounds, out);
        return out;
    }

    /** SIGMA flattened: round r uses S[16·(r mod 10) ..]. */
    private static final int[] S = new int[160];

    static {
        for (int r = 0; r < 10; r++) System.arraycopy(SIGMA[r], 0, S, 16 * r, 16);
    }

    /**
     * F with the state h read little-endian from in[ho..ho+64), the message m, the counter (t0, t1) and the final
     * flag; the new state is written little-endian to out. The working vector lives in locals.
     */
    static void compress(byte[] in, int ho, long[] m, long t0, long t1, boolean last, long rounds, byte[] out) {
        long h0 = le(in, ho), h1 = le(in, ho + 8), h2 = le(in, ho + 16), h3 = le(in, ho + 24);
        long h4 = le(in, ho + 32), h5 = le(in, ho + 40), h6 = le(in, ho + 48), h7 = le(in, ho + 56);
        long v0 = h0, v1 = h1, v2 = h2, v3 = h3, v4 = h4, v5 = h5, v6 = h6, v7 = h7;
        long v8 = IV[0], v9 = IV[1], v10 = IV[2], v11 = IV[3];
        long v12 = IV[4] ^ t0, v13 = IV[5] ^ t1, v14 = last ? ~IV[6] : IV[6], v15 = IV[7];
        int s = 0;
        for (long r = 0; r < rounds; r++) {
            if ((r & 0xFFFFF) == 0xFFFFF && Thread.currentThread().isInterrupted()) {
                throw new io.flotilla.evm.vm.ExecutionInterrupted();
            }
            v0 += v4 + m[S[s + 0]];
            v12 = Long.rotateRight(v12 ^ v0, 32);
            v8 += v12;
            v4 = Long.rotateRight(v4 ^ v8, 24);
            v0 += v4 + m[S[s + 1]];
            v12 = Long.rotateRight(v12 ^ v0, 16);
            v8 += v12;
            v4 = Long.rotateRight(v4 ^ v8, 63);
            v1 += v5 + m[S[s + 2]];
            v13 = Long.rotateRight(v13 ^ v1, 32);
            v9 += v13;
            v5 = Long.rotateRight(v5 ^ v9, 24);
            v1 += v5 + m[S[s + 3]];
            v13 = Long.rotateRight(v13 ^ v1, 16);
            v9 += v13;
            v5 = Long.rotateRight(v5 ^ v9, 63);
            v2 += v6 + m[S[s + 4]];
            v14 = Long.rotateRight(v14 ^ v2, 32);
            v10 += v14;
            v6 = Long.rotateRight(v6 ^ v10, 24);
            v2 += v6 + m[S[s + 5]];
            v14 = Long.rotateRight(v14 ^ v2, 16);
            v10 += v14;
            v6 = Long.rotateRight(v6 ^ v10, 63);
            v3 += v7 + m[S[s + 6]];
            v15 = Long.rotateRight(v15 ^ v3, 32);
            v11 += v15;
            v7 = Long.rotateRight(v7 ^ v11, 24);
            v3 += v7 + m[S[s + 7]];
            v15 = Long.rotateRight(v15 ^ v3, 16);
            v11 += v15;
            v7 = Long.rotateRight(v7 ^ v11, 63);
            v0 += v5 + m[S[s + 8]];
            v15 = Long.rotateRight(v15 ^ v0, 32);
            v10 += v15;
            v5 = Long.rotateRight(v5 ^ v10, 24);
            v0 += v5 + m[S[s + 9]];
            v15 = Long.rotateRight(v15 ^ v0, 16);
            v10 += v15;
            v5 = Long.rotateRight(v5 ^ v10, 63);
            v1 += v6 + m[S[s + 10]];
            v12 = Long.rotateRight(v12 ^ v1, 32);
            v11 += v12;
            v6 = Long.rotateRight(v6 ^ v11, 24);
            v1 += v6 + m[S[s + 11]];
            v12 = Long.rotateRight(v12 ^ v1, 16);
            v11 += v12;
            v6 = Long.rotateRight(v6 ^ v11, 63);
            v2 += v7 + m[S[s + 12]];
            v13 = Long.rotateRight(v13 ^ v2, 32);
            v8 += v13;
            v7 = Long.rotateRight(v7 ^ v8, 24);
            v2 += v7 + m[S[s + 13]];
            v13 = Long.rotateRight(v13 ^ v2, 16);
            v8 += v13;
            v7 = Long.rotateRight(v7 ^ v8, 63);
            v3 += v4 + m[S[s + 14]];
            v14 = Long.rotateRight(v14 ^ v3, 32);
            v9 += v14;
            v4 = Long.rotateRight(v4 ^ v9, 24);
            v3 += v4 + m[S[s + 15]];
            v14 = Long.rotateRight(v14 ^ v3, 16);
            v9 += v14;
            v4 = Long.rotateRight(v4 ^ v9, 63);
            s += 16;
            if (s == 160) s = 0;
        }
        putLe(out, 0, h0 ^ v0 ^ v8);
        putLe(out, 8, h1 ^ v1 ^ v9);
        putLe(out, 16, h2 ^ v2 ^ v10);
        putLe(out, 24, h3 ^ v3 ^ v11);
        putLe(out, 32, h4 ^ v4 ^ v12);
        putLe(out, 40, h5 ^ v5 ^ v13);
        putLe(out, 48, h6 ^ v6 ^ v14);
        putLe(out, 56, h7 ^ v7 ^ v15);
    }

    private static void putLe(byte[] b, int off, long v) {
        for (int j = 0; j < 8; j++) {
            b[off + j] = (byte) v;
            v >>>= 8;
        }
    }
}
