package io.flotilla.evm.trie;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.rlp.Rlp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.web3j.rlp.RlpType;

/**
 * A Merkle-Patricia trie that keeps its entries sorted and derives the root hash on demand.
 * State roots are computed once per transaction in this module, so a rebuild is cheaper than node bookkeeping.
 */
public final class MerklePatriciaTrie {
    /** keccak(rlp("")) — the root of a trie with no entries. */
    public static final byte[] EMPTY_ROOT = Keccak.hash(new byte[] {(byte) 0x80});

    private final TreeMap<byte[], byte[]> entries = new TreeMap<>(Arrays::compareUnsigned);

    /** Inserts or, for an empty value, deletes a key. */
    public void put(byte[] key, byte[] value) {
        if (value.length == 0) entries.remove(key);
        else entries.put(key.clone(), value.clone());
    }

    public byte[] get(byte[] key) {
        return entries.get(key);
    }

    public int size() {
        return entries.size();
    }

    public byte[] rootHash() {
        if (entries.isEmpty()) return EMPTY_ROOT.clone();
        List<byte[]> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        for (Map.Entry<byte[], byte[]> e : entries.entrySet()) {
            keys.add(nibbles(e.getKey()));
            values.add(e.getValue());
        }
        byte[] enc = Rlp.encode(node(keys, values, 0, keys.size(), 0));
        return Keccak.hash(enc);
    }

    private static byte[] nibbles(byte[] key) {
        byte[] n = new byte[key.length * 2];
        for (int i = 0; i < key.length; i++) {
            n[2 * i] = (byte) ((key[i] >> 4) & 0xF);
            n[2 * i + 1] = (byte) (key[i] & 0xF);
        }
        return n;
    }

    /** Builds the node for sorted keys [from, to) that share their first {@code depth} nibbles. */
    private static RlpType node(List<byte[]> keys, List<byte[]> values, int from, int to, int depth) {
        if (to - from == 1) {
            byte[] k = keys.get(from);
            return Rlp.list(Rlp.bytes(hexPrefix(k, depth, k.length, true)), Rlp.bytes(values.get(from)));
        }
        // Longest common prefix beyond depth: sorted order means first and last bound it.
        byte[] first = keys.get(from);
        byte[] last = keys.get(to - 1);
        int common = depth;
        while (common < first.length && common < last.length && first[common] == last[common]) common++;
        if (common > depth) {
            RlpType child = node(keys, values, from, to, common);
            return Rlp.list(Rlp.bytes(hexPrefix(first, depth, common, false)), ref(child));
        }
        RlpType[] items = new RlpType[17];
        byte[] branchValue = new byte[0];
        int i = from;
        if (keys.get(i).length == depth) {
            branchValue = values.get(i);
            i++;
        }
        for (int nib = 0; nib < 16; nib++) {
            int start = i;
            while (i < to && keys.get(i)[depth] == nib) i++;
            items[nib] = start == i ? Rlp.bytes(new byte[0]) : ref(node(keys, values, start, i, depth + 1));
        }
        items[16] = Rlp.bytes(branchValue);
        return Rlp.list(items);
    }

    /** Children shorter than 32 bytes are embedded; others are referenced by hash. */
    private static RlpType ref(RlpType node) {
        byte[] enc = Rlp.encode(node);
        return enc.length < 32 ? node : Rlp.bytes(Keccak.hash(enc));
    }

    private static byte[] hexPrefix(byte[] nib, int from, int to, boolean leaf) {
        int len = to - from;
        boolean odd = (len & 1) == 1;
        byte[] out = new byte[len / 2 + 1];
        int flag = (leaf ? 2 : 0) + (odd ? 1 : 0);
        int pos = from;
        if (odd) {
            out[0] = (byte) ((flag << 4) | nib[pos++]);
        } else {
            out[0] = (byte) (flag << 4);
        }
        for (int i = 1; i < out.length; i++) {
            out[i] = (byte) ((nib[pos] << 4) | nib[pos + 1]);
            pos += 2;
        }
        return out;
    }
}
