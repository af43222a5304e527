package io.flotilla.evm.trie;

import io.flotilla.evm.crypto.Keccak;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * An immutable (persistent) Merkle-Patricia trie that keeps the hash of every node it has hashed. An update copies
 * only the nodes on the path to the changed key and shares the rest with the previous version, so the root of a
 * trie after k updates costs about k × log16(size) node hashes, not a rebuild; and every earlier version stays valid
 * for readers that hold it.
 * <p>Nodes are held as objects; a node referenced only by hash (a trie {@link #open opened} from a {@link NodeStore},
 * or after {@link #commit}) is read from the store when a path goes through it. Thread-safe: versions never change
 * (hashes are cached on first use; a racing second computation gives the same bytes).
 */
public final class PatriciaTrie {
    /** keccak(rlp("")) — the root of a trie with no entries. */
    public static final byte[] EMPTY_ROOT = MerklePatriciaTrie.EMPTY_ROOT;
    private static final byte[] EMPTY_STRING = {(byte) 0x80};

    private final Node root; // null when empty
    private final NodeStore store;

    private PatriciaTrie(Node root, NodeStore store) {
        this.root = root;
        this.store = store;
    }

    /** An empty trie whose nodes live only in the heap. */
    public static PatriciaTrie empty() {
        return new PatriciaTrie(null, NodeStore.NONE);
    }

    /** An empty trie that can {@link #commit} to and read from {@code store}. */
    public static PatriciaTrie empty(NodeStore store) {
        return new PatriciaTrie(null, store);
    }

    /** The trie with root {@code rootHash} in {@code store}; nodes are read when first needed. */
    public static PatriciaTrie open(byte[] rootHash, NodeStore store) {
        if (Arrays.equals(rootHash, EMPTY_ROOT)) return new PatriciaTrie(null, store);
        if (rootHash.length != 32) throw new IllegalArgumentException("a root hash has 32 bytes, not " + rootHash.length);
        return new PatriciaTrie(new HashRef(rootHash.clone()), store);
    }

    public boolean isEmpty() {
        return root == null;
    }

    /** The value under {@code key}, or null. */
    public byte[] get(byte[] key) {
        byte[] nib = nibbles(key);
        Node n = root;
        int pos = 0;
        while (n != null) {
            n = resolve(n, pos);
            switch (n) {
                case Leaf l -> {
                    return matches(l.path, nib, pos) && pos + l.path.length == nib.length ? l.value.clone() : null;
                }
                case Extension e -> {
                    if (!matches(e.path, nib, pos)) return null;
                    pos += e.path.length;
                    n = e.child;
                }
                case Branch b -> {
                    if (pos == nib.length) return b.value == null ? null : b.value.clone();
                    n = b.children[nib[pos++]];
                }
                case HashRef h -> throw new IllegalStateException("unresolved");
            }
        }
        return null;
    }

    /** The trie with {@code key} set to {@code value}; an empty value deletes the key. */
    public PatriciaTrie put(byte[] key, byte[] value) {
        return put(key, value, null);
    }

    /**
     * As {@link #put(byte[], byte[])}, adding to {@code replaced} (when not null) the hash of every node read from the
     * store (or {@link #commit committed}) that the new version no longer holds at its position: what a store that
     * counts references releases once no kept version needs it. Nodes created by earlier updates and never committed
     * are not listed (they were never stored).
     */
    public PatriciaTrie put(byte[] key, byte[] value, List<byte[]> replaced) {
        if (value.length == 0) return delete(key, replaced);
        Node r = insert(root, nibbles(key), 0, value.clone(), replaced);
        return r == root ? this : new PatriciaTrie(r, store);
    }

    /** The trie without {@code key} (this trie when it has no such key). */
    public PatriciaTrie delete(byte[] key) {
        return delete(key, null);
    }

    /** As {@link #delete(byte[])}, listing replaced stored nodes as {@link #put(byte[], byte[], List)} does. */
    public PatriciaTrie delete(byte[] key, List<byte[]> replaced) {
        Node r = remove(root, nibbles(key), 0, replaced);
        return r == root ? this : new PatriciaTrie(r, store);
    }

    /** Records {@code n} (resolved) as superseded when it is a stored node referenced by hash. */
    private static void gone(Node n, List<byte[]> replaced) {
        if (replaced == null || !n.stored) return;
        byte[] r = n.ref;
        if (r != null && r.length == 32) replaced.add(r);
    }

    /**
     * Calls {@code each} with the hash of every node of this trie stored apart (referenced by hash, and the root),
     * reading them from the store: what releasing a whole trie (a cleared storage) releases.
     */
    public void forEachStoredNode(java.util.function.Consumer<byte[]> each) {
        if (root == null) return;
        Node r = resolve(root, WALK);
        each.accept(root instanceof HashRef h ? h.hash : (ref(r).length == 32 ? ref(r) : Keccak.hash(ref(r))));
        visit(r, each);
    }

    private void visit(Node n, java.util.function.Consumer<byte[]> each) {
        switch (n) {
            case Extension e -> child(e.child, each);
            case Branch b -> {
                for (Node c : b.children) if (c != null) child(c, each);
            }
            default -> {
            }
        }
    }

    private void child(Node c, java.util.function.Consumer<byte[]> each) {
        Node r = resolve(c, WALK);
        if (c instanceof HashRef h) each.accept(h.hash);
        else if (ref(r).length == 32) each.accept(ref(r));
        visit(r, each);
    }

    /** Calls {@code each} with every key (bytes) and value of the trie, in key order, reading nodes as needed. */
    public void forEachEntry(java.util.function.BiConsumer<byte[], byte[]> each) {
        if (root != null) entries(root, new byte[0], each);
    }

    private void entries(Node n, byte[] path, java.util.function.BiConsumer<byte[], byte[]> each) {
        n = resolve(n, WALK);
        switch (n) {
            case Leaf l -> emit(concat(path, l.path), l.value, each);
            case Extension e -> entries(e.child, concat(path, e.path), each);
            case Branch b -> {
                if (b.value != null) emit(path, b.value, each);
                for (int i = 0; i < 16; i++) if (b.children[i] != null) entries(b.children[i], concat(path, new byte[] {(byte) i}), each);
            }
            case HashRef h -> throw new IllegalStateException("unresolved");
        }
    }

    private static void emit(byte[] nib, byte[] value, java.util.function.BiConsumer<byte[], byte[]> each) {
        byte[] key = new byte[nib.length / 2];
        for (int i = 0; i < key.length; i++) key[i] = (byte) ((nib[2 * i] << 4) | nib[2 * i + 1]);
        each.accept(key, value.clone());
    }

    /** keccak of the root node's encoding. Only nodes not hashed before are hashed. */
    public byte[] rootHash() {
        if (root == null) return EMPTY_ROOT.clone();
        if (root instanceof HashRef h) return h.hash.clone();
        byte[] ref = ref(root);
        return ref.length == 32 ? ref.clone() : Keccak.hash(ref);
    }

    /**
     * The nodes on the path to {@code key}, root first, as EIP-1186 lists them: the encoding of the root and of every
     * node referenced by hash on the way (nodes shorter than 32 bytes sit inside their parent). A proof of absence
     * ends at the node where the path leaves the trie; the proof of the empty trie is its root node, the empty string
     * (as Hardhat answers).
     */
    public List<byte[]> proof(byte[] key) {
        List<byte[]> out = new ArrayList<>();
        if (root == null) {
            out.add(EMPTY_STRING.clone());
            return out;
        }
        byte[] nib = nibbles(key);
        Node n = root;
        int pos = 0;
        boolean first = true;
        while (n != null) {
            n = resolve(n, pos);
            byte[] enc = encode(n);
            if (first || enc.length >= 32) out.add(enc);
            first = false;
            switch (n) {
                case Leaf l -> n = null;
                case Extension e -> {
                    if (!matches(e.path, nib, pos)) return out;
                    pos += e.path.length;
                    n = e.child;
                }
                case Branch b -> n = pos == nib.length ? null : b.children[nib[pos++]];
                case HashRef h -> throw new IllegalStateException("unresolved");
            }
        }
        return out;
    }

    /**
     * The encoding of the node that starts at nibble path {@code path} from the root (the root itself for the empty
     * path), or null when no node starts there (the path ends inside a leaf's or an extension's path, or leaves the
     * trie). What a member serving a snapshot sends: the joiner checks each node against the hash its parent names.
     */
    public byte[] nodeAt(byte[] path) {
        Node n = root;
        int pos = 0;
        while (n != null) {
            n = resolve(n, pos);
            if (pos == path.length) return encode(n);
            switch (n) {
                case Leaf l -> {
                    return null;
                }
                case Extension e -> {
                    if (!matches(e.path, path, pos)) return null;
                    pos += e.path.length;
                    n = e.child;
                }
                case Branch b -> {
                    int i = path[pos++];
                    if (i < 0 || i > 15) return null;
                    n = b.children[i];
                }
                case HashRef h -> throw new IllegalStateException("unresolved");
            }
        }
        return null;
    }

    /**
     * Writes every node of this version that the store does not hold yet (found by walking down from the root and
     * stopping at nodes already written) and returns the same trie backed by the store.
     */
    public PatriciaTrie commit(NodeStore target) {
        if (root != null) {
            write(root, target, 0);
        }
        return new PatriciaTrie(root, target);
    }

    private void write(Node n, NodeStore target, int depth) {
        if (n instanceof HashRef || n.stored) return;
        switch (n) {
            case Extension e -> write(e.child, target, depth + e.path.length);
            case Branch b -> {
                for (Node c : b.children) if (c != null) write(c, target, depth + 1);
            }
            default -> {
            }
        }
        byte[] ref = ref(n);
        if (ref.length == 32) target.put(ref, encode(n), depth);
        else if (depth == 0) target.put(Keccak.hash(ref), ref, 0);
        n.stored = true;
    }

    // ---- nodes ----

    private abstract static sealed class Node permits Leaf, Extension, Branch, HashRef {
        /**
         * The node's reference in its parent: keccak(rlp) when rlp has 32 bytes or more, else rlp itself. Computed on
         * first use by whichever thread needs it; volatile so a thread never sees the array before its contents.
         */
        volatile byte[] ref;
        /** Whether {@link #commit} wrote it (and so everything below it). */
        volatile boolean stored;
    }

    private static final class Leaf extends Node {
        final byte[] path; // nibbles
        final byte[] value;

        Leaf(byte[] path, byte[] value) {
            this.path = path;
            this.value = value;
        }
    }

    private static final class Extension extends Node {
        final byte[] path; // nibbles, at least one
        final Node child;   // a branch, or a reference to one

        Extension(byte[] path, Node child) {
            this.path = path;
            this.child = child;
        }
    }

    private static final class Branch extends Node {
        final Node[] children; // 16, null = none
        final byte[] value;    // null = none

        Branch(Node[] children, byte[] value) {
            this.children = children;
            this.value = value;
        }
    }

    /** A node known only by hash; read from the store when needed. */
    private static final class HashRef extends Node {
        final byte[] hash;

        HashRef(byte[] hash) {
            this.hash = hash;
            this.ref = hash;
            this.stored = true;
        }
    }

    /** Depth given for nodes read by a walk over the whole trie: not worth a place in a cache of upper levels. */
    private static final int WALK = Integer.MAX_VALUE;

    /** The node itself, read from the store when it is a reference; {@code depth} (nibbles below the root) is the store's cache hint. */
    private Node resolve(Node n, int depth) {
        if (!(n instanceof HashRef h)) return n;
        byte[] enc = store.get(h.hash, depth);
        if (enc == null) throw new MissingNodeException(h.hash);
        Node d = decode(RlpDecoder.decode(enc).getValues().get(0));
        d.ref = h.hash;
        d.stored = true;
        return d;
    }

    /** A node the trie refers to is not in its store (pruned, or a store that does not belong to this root). */
    public static final class MissingNodeException extends IllegalStateException {
        public MissingNodeException(byte[] hash) {
            super("trie node " + io.flotilla.evm.types.Hex.encode(hash) + " is missing from the node store");
        }
    }

    // ---- insert ----

    private Node insert(Node n, byte[] nib, int pos, byte[] value, List<byte[]> replaced) {
        if (n == null) return new Leaf(Arrays.copyOfRange(nib, pos, nib.length), value);
        n = resolve(n, pos);
        Node out = insertResolved(n, nib, pos, value, replaced);
        if (out != n) gone(n, replaced);
        return out;
    }

    private Node insertResolved(Node n, byte[] nib, int pos, byte[] value, List<byte[]> replaced) {
        switch (n) {
            case Leaf l -> {
                int common = commonPrefix(l.path, nib, pos);
                if (common == l.path.length && pos + common == nib.length) {
                    return Arrays.equals(l.value, value) ? l : new Leaf(l.path, value);
                }
                Node[] children = new Node[16];
                byte[] branchValue = null;
                if (common == l.path.length) branchValue = l.value;
                else children[l.path[common]] = new Leaf(Arrays.copyOfRange(l.path, common + 1, l.path.length), l.value);
                int at = pos + common;
                if (at == nib.length) branchValue = value;
                else children[nib[at]] = new Leaf(Arrays.copyOfRange(nib, at + 1, nib.length), value);
                Node b = new Branch(children, branchValue);
                return common == 0 ? b : new Extension(Arrays.copyOf(l.path, common), b);
            }
            case Extension e -> {
                int common = commonPrefix(e.path, nib, pos);
                if (common == e.path.length) {
                    Node c = insert(e.child, nib, pos + common, value, replaced);
                    return c == e.child ? e : new Extension(e.path, c);
                }
                Node[] children = new Node[16];
                byte[] branchValue = null;
                children[e.path[common]] = common + 1 == e.path.length ? e.child
                        : new Extension(Arrays.copyOfRange(e.path, common + 1, e.path.length), e.child);
                int at = pos + common;
                if (at == nib.length) branchValue = value;
                else children[nib[at]] = new Leaf(Arrays.copyOfRange(nib, at + 1, nib.length), value);
                Node b = new Branch(children, branchValue);
                return common == 0 ? b : new Extension(Arrays.copyOf(e.path, common), b);
            }
            case Branch b -> {
                if (pos == nib.length) return Arrays.equals(b.value, value) ? b : new Branch(b.children, value);
                int i = nib[pos];
                Node c = insert(b.children[i], nib, pos + 1, value, replaced);
                if (c == b.children[i]) return b;
                Node[] children = b.children.clone();
                children[i] = c;
                return new Branch(children, b.value);
            }
            case HashRef h -> throw new IllegalStateException("unresolved");
        }
    }

    // ---- delete ----

    private Node remove(Node n, byte[] nib, int pos, List<byte[]> replaced) {
        if (n == null) return null;
        Node r = resolve(n, pos);
        Node out = removeResolved(n, r, nib, pos, replaced);
        if (out != n) gone(r, replaced);
        return out;
    }

    private Node removeResolved(Node n, Node r, byte[] nib, int pos, List<byte[]> replaced) {
        switch (r) {
            case Leaf l -> {
                return matches(l.path, nib, pos) && pos + l.path.length == nib.length ? null : n;
            }
            case Extension e -> {
                if (!matches(e.path, nib, pos)) return n;
                Node c = remove(e.child, nib, pos + e.path.length, replaced);
                if (c == e.child) return n;
                return c == null ? null : prefixed(e.path, c, pos + e.path.length, replaced);
            }
            case Branch b -> {
                Node[] children = b.children;
                byte[] value = b.value;
                if (pos == nib.length) {
                    if (value == null) return n;
                    value = null;
                } else {
                    int i = nib[pos];
                    Node c = remove(children[i], nib, pos + 1, replaced);
                    if (c == children[i]) return n;
                    children = children.clone();
                    children[i] = c;
                }
                int count = 0;
                int only = -1;
                for (int i = 0; i < 16; i++) {
                    if (children[i] != null) {
                        count++;
                        only = i;
                    }
                }
                if (count == 0) return value == null ? null : new Leaf(new byte[0], value);
                if (count == 1 && value == null) return prefixed(new byte[] {(byte) only}, children[only], pos + 1, replaced);
                return new Branch(children, value);
            }
            case HashRef h -> throw new IllegalStateException("unresolved");
        }
    }

    /**
     * {@code path} followed by node {@code c} (at nibble depth {@code depth}), merged into one node where the trie's
     * canonical form requires it.
     */
    private Node prefixed(byte[] path, Node c, int depth, List<byte[]> replaced) {
        c = resolve(c, depth);
        if (!(c instanceof Branch)) gone(c, replaced); // merged into the new node
        return switch (c) {
            case Leaf l -> new Leaf(concat(path, l.path), l.value);
            case Extension e -> new Extension(concat(path, e.path), e.child);
            case Branch b -> new Extension(path, b);
            case HashRef h -> throw new IllegalStateException("unresolved");
        };
    }

    // ---- encoding ----

    private byte[] ref(Node n) {
        byte[] r = n.ref;
        if (r == null) {
            byte[] enc = encode(n);
            r = enc.length < 32 ? enc : Keccak.hash(enc);
            n.ref = r;
        }
        return r;
    }

    private byte[] encode(Node n) {
        return switch (n) {
            case Leaf l -> list(string(hexPrefix(l.path, true)), string(l.value));
            case Extension e -> list(string(hexPrefix(e.path, false)), childRef(e.child));
            case Branch b -> {
                byte[][] items = new byte[17][];
                for (int i = 0; i < 16; i++) items[i] = b.children[i] == null ? EMPTY_STRING : childRef(b.children[i]);
                items[16] = b.value == null ? EMPTY_STRING : string(b.value);
                yield list(items);
            }
            case HashRef h -> {
                byte[] enc = store.get(h.hash);
                if (enc == null) throw new MissingNodeException(h.hash);
                yield enc;
            }
        };
    }

    /** A child inside its parent's encoding: embedded when shorter than 32 bytes, else the RLP string of its hash. */
    private byte[] childRef(Node c) {
        byte[] r = ref(c);
        return r.length == 32 ? string(r) : r;
    }

    private static byte[] string(byte[] b) {
        if (b.length == 1 && (b[0] & 0xFF) < 0x80) return b;
        return withHeader(0x80, b);
    }

    private static byte[] list(byte[]... items) {
        int len = 0;
        for (byte[] i : items) len += i.length;
        byte[] payload = new byte[len];
        int at = 0;
        for (byte[] i : items) {
            System.arraycopy(i, 0, payload, at, i.length);
            at += i.length;
        }
        return withHeader(0xC0, payload);
    }

    private static byte[] withHeader(int offset, byte[] payload) {
        int len = payload.length;
        if (len <= 55) {
            byte[] out = new byte[1 + len];
            out[0] = (byte) (offset + len);
            System.arraycopy(payload, 0, out, 1, len);
            return out;
        }
        int n = (Integer.SIZE - Integer.numberOfLeadingZeros(len) + 7) / 8;
        byte[] out = new byte[1 + n + len];
        out[0] = (byte) (offset + 55 + n);
        for (int i = 0; i < n; i++) out[1 + i] = (byte) (len >>> (8 * (n - 1 - i)));
        System.arraycopy(payload, 0, out, 1 + n, len);
        return out;
    }

    private static byte[] hexPrefix(byte[] nib, boolean leaf) {
        boolean odd = (nib.length & 1) == 1;
        byte[] out = new byte[nib.length / 2 + 1];
        int flag = (leaf ? 2 : 0) + (odd ? 1 : 0);
        int pos = 0;
        if (odd) out[0] = (byte) ((flag << 4) | nib[pos++]);
        else out[0] = (byte) (flag << 4);
        for (int i = 1; i < out.length; i++) {
            out[i] = (byte) ((nib[pos] << 4) | nib[pos + 1]);
            pos += 2;
        }
        return out;
    }

    // ---- decoding (nodes read from a store) ----

    private static Node decode(RlpType t) {
        if (!(t instanceof RlpList l)) throw new IllegalArgumentException("trie node: expected an RLP list");
        List<RlpType> items = l.getValues();
        if (items.size() == 2) {
            byte[] hp = ((RlpString) items.get(0)).getBytes();
            if (hp.length == 0) throw new IllegalArgumentException("trie node: empty path");
            int flag = (hp[0] & 0xFF) >> 4;
            boolean odd = (flag & 1) == 1;
            byte[] path = new byte[(hp.length - 1) * 2 + (odd ? 1 : 0)];
            int at = 0;
            if (odd) path[at++] = (byte) (hp[0] & 0xF);
            for (int i = 1; i < hp.length; i++) {
                path[at++] = (byte) ((hp[i] >> 4) & 0xF);
                path[at++] = (byte) (hp[i] & 0xF);
            }
            if ((flag & 2) != 0) return new Leaf(path, ((RlpString) items.get(1)).getBytes());
            return new Extension(path, child(items.get(1)));
        }
        if (items.size() != 17) throw new IllegalArgumentException("trie node: " + items.size() + " items");
        Node[] children = new Node[16];
        for (int i = 0; i < 16; i++) children[i] = child(items.get(i));
        byte[] v = ((RlpString) items.get(16)).getBytes();
        return new Branch(children, v.length == 0 ? null : v);
    }

    private static Node child(RlpType t) {
        if (t instanceof RlpString s) {
            byte[] b = s.getBytes();
            if (b.length == 0) return null;
            if (b.length != 32) throw new IllegalArgumentException("trie node: a child reference of " + b.length + " bytes");
            return new HashRef(b);
        }
        Node n = decode(t);
        n.stored = true; // inside its stored parent
        return n;
    }

    // ---- nibbles ----

    static byte[] nibbles(byte[] key) {
        byte[] n = new byte[key.length * 2];
        for (int i = 0; i < key.length; i++) {
            n[2 * i] = (byte) ((key[i] >> 4) & 0xF);
            n[2 * i + 1] = (byte) (key[i] & 0xF);
        }
        return n;
    }

    private static boolean matches(byte[] path, byte[] nib, int pos) {
        if (nib.length - pos < path.length) return false;
        return Arrays.equals(path, 0, path.length, nib, pos, pos + path.length);
    }

    private static int commonPrefix(byte[] path, byte[] nib, int pos) {
        int max = Math.min(path.length, nib.length - pos);
        int mismatch = Arrays.mismatch(path, 0, max, nib, pos, pos + max);
        return mismatch < 0 ? max : mismatch;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
