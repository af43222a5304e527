package io.flotilla.chain.snapshot;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

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
        RlpType t;
        try {
            List<RlpType> top = RlpDecoder.decode(encoding).getValues();
            if (top.size() != 1) throw new IllegalArgumentException("trie node: trailing bytes");
            t = top.get(0);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("trie node: not RLP");
        }
        Parsed out = new Parsed(new ArrayList<>(), new ArrayList<>());
        walk(t, path, out, 0);
        return out;
    }

    private static void walk(RlpType t, byte[] path, Parsed out, int depth) {
        if (depth > 64 || path.length > 64) throw new IllegalArgumentException("trie node: path longer than a key");
        if (!(t instanceof RlpList l)) throw new IllegalArgumentException("trie node: expected a list");
        List<RlpType> items = l.getValues();
        if (items.size() == 17) {
            int kids = 0;
            for (int i = 0; i < 16; i++) {
                if (child(items.get(i), append(path, new byte[] {(byte) i}), out, depth)) kids++;
            }
            byte[] v = str(items.get(16));
            if (v.length > 0) out.leaves().add(new Leaf(path, v));
            if (kids + (v.length > 0 ? 1 : 0) < 2) throw new IllegalArgumentException("trie node: a branch with fewer than two entries");
            return;
        }
        if (items.size() != 2) throw new IllegalArgumentException("trie node: " + items.size() + " items");
        byte[] hp = str(items.get(0));
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
            byte[] v = str(items.get(1));
            if (v.length == 0) throw new IllegalArgumentException("trie node: empty leaf value");
            out.leaves().add(new Leaf(full, v));
            return;
        }
        if (p.length == 0) throw new IllegalArgumentException("trie node: empty extension");
        if (!child(items.get(1), full, out, depth)) throw new IllegalArgumentException("trie node: extension without a child");
    }

    private static boolean child(RlpType t, byte[] path, Parsed out, int depth) {
        if (t instanceof RlpString s) {
            byte[] b = s.getBytes();
            if (b.length == 0) return false;
            if (b.length != 32) throw new IllegalArgumentException("trie node: a child reference of " + b.length + " bytes");
            out.children().add(new Child(path, b));
            return true;
        }
        walk(t, path, out, depth + 1); // embedded (shorter than 32 bytes)
        return true;
    }

    private static byte[] str(RlpType t) {
        if (!(t instanceof RlpString s)) throw new IllegalArgumentException("trie node: expected a string");
        return s.getBytes();
    }

    static byte[] append(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
