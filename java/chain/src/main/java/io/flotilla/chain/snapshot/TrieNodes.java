package io.flotilla.chain.snapshot;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads one Merkle-Patricia node encoding the way both sides of a snapshot transfer need it: the leaves it holds
 * (itself, or embedded children shorter than 32 bytes) with their full nibble paths, and the children it names by
 * hash with theirs. Written apart from the trie so that a joiner checks what it is sent independently of how the
 * serving member built its trie.
 */
public final class TrieNodes {
    private TrieNodes() {
    }

    /** A value at the end of a path (a key of the trie when the path has 64 nibbles). */
    public record Leaf(byte[] path, byte[] value) {
        /** The 32-byte key, or null when the path is not one of a whole 32-byte key. */
        public byte[] key() {
            if (path.length != 64) return null;
            byte[] k = new byte[32];
            for (int i = 0; i < 32; i++) k[i] = (byte) ((path[2 * i] << 4) | path[2 * i + 1]);
            return k;
        }
    }

    /** A child named by hash, at a nibble path from the trie's root. */
    public record Child(byte[] path, byte[] hash) {
    }

    public record Parsed(List<Leaf> leaves, List<Child> children) {
    }

    /** Parses the node found at nibble path {@code path}; throws IllegalArgumentException on anything malformed. */
    public static Parsed parse(byte[] encoding, byte[] path) {
        int[] top = header(encoding, 0, encoding.length);
        if (top[2] != 1) throw new IllegalArgumentException("trie node: expected a list");
        if (top[3] != encoding.length) throw new IllegalArgumentException("trie node: trailing bytes");
        Parsed out = new Parsed(new ArrayList<>(), new ArrayList<>());
        walk(encoding, top[0], top[0] + top[1], path, out, 0);
        return out;
    }

    /** The strings of a flat RLP list (an account leaf's fields); throws IllegalArgumentException otherwise. */
    public static List<byte[]> strings(byte[] encoding) {
        int[] top = header(encoding, 0, encoding.length);
        if (top[2] != 1 || top[3] != encoding.length) throw new IllegalArgumentException("expected one RLP list");
        List<byte[]> out = new ArrayList<>();
        for (int pos = top[0]; pos < top[3]; ) {
            int[] h = header(encoding, pos, top[3]);
            out.add(string(encoding, h));
            pos = h[3];
        }
        return out;
    }

    /** The bytes of one RLP string that is the whole of {@code encoding}; throws IllegalArgumentException otherwise. */
    public static byte[] string(byte[] encoding) {
        int[] h = header(encoding, 0, encoding.length);
        if (h[3] != encoding.length) throw new IllegalArgumentException("trailing bytes after an RLP string");
        return string(encoding, h);
    }

    /**
     * The RLP item at {@code pos} (within {@code end}): {payload start, payload length, 1 if a list, end of the item}.
     * A small reader of its own (no object per item): both sides parse every node of a snapshot.
     */
    private static int[] header(byte[] b, int pos, int end) {
        if (pos >= end) throw new IllegalArgumentException("trie node: truncated");
        int p = b[pos] & 0xFF;
        int start;
        long len;
        int list = 0;
        if (p < 0x80) {
            return new int[] {pos, 1, 0, pos + 1};
        } else if (p <= 0xB7) {
            start = pos + 1;
            len = p - 0x80;
        } else if (p <= 0xBF) {
            int ll = p - 0xB7;
            len = length(b, pos + 1, ll, end);
            start = pos + 1 + ll;
        } else if (p <= 0xF7) {
            start = pos + 1;
            len = p - 0xC0;
            list = 1;
        } else {
            int ll = p - 0xF7;
            len = length(b, pos + 1, ll, end);
            start = pos + 1 + ll;
            list = 1;
        }
        if (start + len > end) throw new IllegalArgumentException("trie node: an item overruns its parent");
        return new int[] {start, (int) len, list, (int) (start + len)};
    }

    private static long length(byte[] b, int pos, int ll, int end) {
        if (ll > 4 || pos + ll > end) throw new IllegalArgumentException("trie node: bad length");
        long v = 0;
        for (int i = 0; i < ll; i++) v = (v << 8) | (b[pos + i] & 0xFF);
        return v;
    }

    private static byte[] string(byte[] b, int[] h) {
        if (h[2] != 0) throw new IllegalArgumentException("trie node: expected a string");
        return Arrays.copyOfRange(b, h[0], h[0] + h[1]);
    }

    private static void walk(byte[] b, int from, int to, byte[] path, Parsed out, int depth) {
        if (depth > 64 || path.length > 64) throw new IllegalArgumentException("trie node: path longer than a key");
        int[][] items = new int[17][];
        int count = 0;
        for (int pos = from; pos < to; ) {
            if (count == 17) throw new IllegalArgumentException("trie node: more than 17 items");
            int[] h = header(b, pos, to);
            items[count++] = h;
            pos = h[3];
        }
        if (count == 17) {
            int kids = 0;
            for (int i = 0; i < 16; i++) {
                if (child(b, items[i], append(path, new byte[] {(byte) i}), out, depth)) kids++;
            }
            byte[] v = string(b, items[16]);
            if (v.length > 0) out.leaves().add(new Leaf(path, v));
            if (kids + (v.length > 0 ? 1 : 0) < 2) throw new IllegalArgumentException("trie node: a branch with fewer than two entries");
            return;
        }
        if (count != 2) throw new IllegalArgumentException("trie node: " + count + " items");
        byte[] hp = string(b, items[0]);
        if (hp.length == 0) throw new IllegalArgumentException("trie node: empty path");
        int flag = (hp[0] & 0xFF) >> 4;
        if (flag > 3) throw new IllegalArgumentException("trie node: bad path flag");
        byte[] p = new byte[(hp.length - 1) * 2 + (flag & 1)];
        int at = 0;
        if ((flag & 1) == 1) p[at++] = (byte) (hp[0] & 0xF);
        else if ((hp[0] & 0xF) != 0) throw new IllegalArgumentException("trie node: bad path padding");
        for (int i = 1; i < hp.length; i++) {
            p[at++] = (byte) ((hp[i] >> 4) & 0xF);
            p[at++] = (byte) (hp[i] & 0xF);
        }
        byte[] full = append(path, p);
        if (full.length > 64) throw new IllegalArgumentException("trie node: path longer than a key");
        if ((flag & 2) != 0) {
            byte[] v = string(b, items[1]);
            if (v.length == 0) throw new IllegalArgumentException("trie node: empty leaf value");
            out.leaves().add(new Leaf(full, v));
            return;
        }
        if (p.length == 0) throw new IllegalArgumentException("trie node: empty extension");
        if (!child(b, items[1], full, out, depth)) throw new IllegalArgumentException("trie node: extension without a child");
    }

    private static boolean child(byte[] b, int[] h, byte[] path, Parsed out, int depth) {
        if (h[2] == 0) {
            if (h[1] == 0) return false;
            if (h[1] != 32) throw new IllegalArgumentException("trie node: a child reference of " + h[1] + " bytes");
            out.children().add(new Child(path, Arrays.copyOfRange(b, h[0], h[0] + 32)));
            return true;
        }
        walk(b, h[0], h[0] + h[1], path, out, depth + 1); // embedded (shorter than 32 bytes)
        return true;
    }

    static byte[] append(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
