package io.flotilla.chain.tx;

/**
 * A linear, allocation-free pre-check of RLP input from strangers, run before the recursive decoder: every length
 * fits inside its parent and lists nest at most {@code maxDepth} deep. The decoder recurses once per level and is
 * super-linear in the nesting, so 20,000 nested lists in one transaction would otherwise hold a thread for minutes.
 */
public final class RlpShape {
    private RlpShape() {
    }

    /** Checks {@code data[offset..]}; throws {@link IllegalArgumentException} naming the problem. */
    public static void requireShallow(byte[] data, int offset, int maxDepth) {
        long[] ends = new long[maxDepth + 1];
        int depth = 0;
        ends[0] = data.length;
        long pos = offset;
        while (pos < data.length) {
            while (depth > 0 && pos == ends[depth]) depth--;
            if (pos >= ends[depth]) {
                if (pos == data.length) break;
                throw new IllegalArgumentException("rlp: item overruns its list");
            }
            int prefix = data[(int) pos] & 0xFF;
            long header;
            long payload;
            if (prefix < 0x80) {
                header = 0;
                payload = 1;
            } else if (prefix <= 0xB7) {
                header = 1;
                payload = prefix - 0x80;
            } else if (prefix <= 0xBF) {
                header = 1 + (prefix - 0xB7);
                payload = length(data, pos + 1, prefix - 0xB7);
            } else if (prefix <= 0xF7) {
                header = 1;
                payload = prefix - 0xC0;
            } else {
                header = 1 + (prefix - 0xF7);
                payload = length(data, pos + 1, prefix - 0xF7);
            }
            long end = pos + header + payload;
            if (end > ends[depth]) throw new IllegalArgumentException("rlp: length exceeds the input");
            if (prefix >= 0xC0) {
                if (depth == maxDepth) throw new IllegalArgumentException("rlp: lists nested deeper than " + maxDepth);
                ends[++depth] = end;
                pos += header;
            } else {
                pos = end;
            }
        }
    }

    private static long length(byte[] data, long from, int bytes) {
        if (from + bytes > data.length) throw new IllegalArgumentException("rlp: truncated length");
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            v = (v << 8) | (data[(int) (from + i)] & 0xFF);
            if (v > Integer.MAX_VALUE) throw new IllegalArgumentException("rlp: length exceeds the input");
        }
        return v;
    }
}
