package io.flotilla.chain.node;

import io.flotilla.chain.snapshot.SnapshotSink.Ref;
import io.flotilla.chain.snapshot.SnapshotSource;
import io.flotilla.chain.snapshot.TrieNodes;
import io.flotilla.chain.tx.RlpShape;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.rlp.Rlp;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * The snapshot messages (docs/chain.md, "Snapshot sync") and how a serving member answers them from a
 * {@link SnapshotSource}. All bodies are RLP:
 * <pre>
 *   GET_SNAPSHOTS  []                                   SNAPSHOTS [height, ...]            (at most 16)
 *   GET_NODES      [id, height, maxBytes, [[trie, path, hash]...]] (at most 64 refs; trie: empty = accounts, else
 *                                                         the address; path: nibbles, one per byte; maxBytes: the
 *                                                         answer's size wanted, at most 2 MiB)
 *   NODES          [id, served, [[node, [preimage...]]...]] (preorder from each ref, at most 2 MiB)
 *   GET_CODE       [id, [codeHash...]]                  (at most 64)
 *   CODE           [id, [code...]]                      (in order, at most 2 MiB)
 * </pre>
 */
final class SnapshotWire {
    private SnapshotWire() {
    }

    static final int MAX_HEIGHTS = 16;
    static final int MAX_REFS = 64;
    static final int MAX_CODES = 64;
    static final int MAX_RESPONSE_BYTES = 2 << 20;
    /** A request larger than this is refused unread (64 refs of a 64-nibble path take about 8.5 KiB). */
    static final int MAX_REQUEST_BYTES = 16 << 10;

    record NodesRequest(long id, long height, long maxBytes, List<Ref> refs) {
    }

    /** One node of an answer with the preimages of the keys of the leaves it holds, in order. */
    record Item(byte[] node, List<byte[]> preimages) {
    }

    record Nodes(long id, boolean served, List<Item> items) {
    }

    record CodeRequest(long id, List<byte[]> hashes) {
    }

    record Codes(long id, List<byte[]> codes) {
    }

    // ---- encoding ----

    static byte[] heights(List<Long> heights) {
        return Rlp.encode(new RlpList(heights.stream().limit(MAX_HEIGHTS).map(h -> (RlpType) RlpString.create(h)).toList()));
    }

    static List<Long> decodeHeights(byte[] body) {
        List<RlpType> f = top(body, 2);
        if (f.size() > MAX_HEIGHTS) throw new IllegalArgumentException("more than " + MAX_HEIGHTS + " snapshot heights");
        return f.stream().map(t -> uint(t)).toList();
    }

    static byte[] nodesRequest(NodesRequest r) {
        List<RlpType> refs = new ArrayList<>();
        for (Ref ref : r.refs()) {
            refs.add(new RlpList(RlpString.create(ref.account() == null ? new byte[0] : ref.account().toArray()),
                    RlpString.create(ref.path()), RlpString.create(ref.hash())));
        }
        return Rlp.encode(new RlpList(RlpString.create(r.id()), RlpString.create(r.height()), RlpString.create(r.maxBytes()), new RlpList(refs)));
    }

    static NodesRequest decodeNodesRequest(byte[] body) {
        if (body.length > MAX_REQUEST_BYTES) throw new IllegalArgumentException("request of " + body.length + " bytes");
        List<RlpType> f = top(body, 3);
        List<RlpType> refs = ((RlpList) f.get(3)).getValues();
        if (refs.size() > MAX_REFS) throw new IllegalArgumentException(refs.size() + " refs, at most " + MAX_REFS);
        List<Ref> out = new ArrayList<>();
        for (RlpType t : refs) {
            List<RlpType> r = ((RlpList) t).getValues();
            byte[] trie = bytes(r.get(0));
            byte[] path = bytes(r.get(1));
            byte[] hash = bytes(r.get(2));
            if ((trie.length != 0 && trie.length != 20) || path.length > 64 || hash.length != 32) throw new IllegalArgumentException("malformed ref");
            for (byte n : path) if (n < 0 || n > 15) throw new IllegalArgumentException("a path nibble out of range");
            out.add(new Ref(trie.length == 0 ? null : Address.of(trie), path, hash));
        }
        return new NodesRequest(uint(f.get(0)), uint(f.get(1)), Math.min(uint(f.get(2)), MAX_RESPONSE_BYTES), out);
    }

    static byte[] nodes(Nodes n) {
        List<RlpType> items = new ArrayList<>();
        for (Item i : n.items()) {
            items.add(new RlpList(RlpString.create(i.node()), new RlpList(i.preimages().stream().map(p -> (RlpType) RlpString.create(p)).toList())));
        }
        return Rlp.encode(new RlpList(RlpString.create(n.id()), RlpString.create(n.served() ? 1 : 0), new RlpList(items)));
    }

    static Nodes decodeNodes(byte[] body) {
        List<RlpType> f = top(body, 4);
        List<Item> items = new ArrayList<>();
        for (RlpType t : ((RlpList) f.get(2)).getValues()) {
            List<RlpType> i = ((RlpList) t).getValues();
            items.add(new Item(bytes(i.get(0)), ((RlpList) i.get(1)).getValues().stream().map(SnapshotWire::bytes).toList()));
        }
        return new Nodes(uint(f.get(0)), uint(f.get(1)) == 1, items);
    }

    static byte[] codeRequest(CodeRequest r) {
        return Rlp.encode(new RlpList(RlpString.create(r.id()), new RlpList(r.hashes().stream().map(h -> (RlpType) RlpString.create(h)).toList())));
    }

    static CodeRequest decodeCodeRequest(byte[] body) {
        if (body.length > MAX_REQUEST_BYTES) throw new IllegalArgumentException("request of " + body.length + " bytes");
        List<RlpType> f = top(body, 2);
        List<byte[]> hashes = ((RlpList) f.get(1)).getValues().stream().map(SnapshotWire::bytes).toList();
        if (hashes.size() > MAX_CODES) throw new IllegalArgumentException(hashes.size() + " code hashes, at most " + MAX_CODES);
        return new CodeRequest(uint(f.get(0)), hashes);
    }

    static byte[] codes(Codes c) {
        return Rlp.encode(new RlpList(RlpString.create(c.id()), new RlpList(c.codes().stream().map(b -> (RlpType) RlpString.create(b)).toList())));
    }

    static Codes decodeCodes(byte[] body) {
        List<RlpType> f = top(body, 2);
        return new Codes(uint(f.get(0)), ((RlpList) f.get(1)).getValues().stream().map(SnapshotWire::bytes).toList());
    }

    // ---- serving ----

    /**
     * The answer to a node request: from each ref in turn, the nodes of its subtree in preorder (children in nibble
     * order; only nodes referenced by hash, an embedded node travels inside its parent), each with the preimages of the
     * leaves it holds; stops at {@link #MAX_RESPONSE_BYTES}, or at a ref whose node is not the one named (the joiner
     * then asks the rest again). Not served when the height is not kept.
     */
    static Nodes serveNodes(SnapshotSource source, NodesRequest r) {
        List<Item> items = new ArrayList<>();
        if (!source.heights().contains(r.height())) return new Nodes(r.id(), false, items);
        long bytes = 0;
        long cap = Math.max(4096, Math.min(r.maxBytes(), MAX_RESPONSE_BYTES));
        for (Ref ref : r.refs()) {
            Deque<TrieNodes.Child> stack = new ArrayDeque<>();
            stack.push(new TrieNodes.Child(ref.path(), ref.hash()));
            boolean first = true;
            while (!stack.isEmpty()) {
                if (bytes >= cap - 4096) return new Nodes(r.id(), true, items);
                TrieNodes.Child c = stack.pop();
                // The ref's own node is found by its path in the pinned state (and checked against the hash asked
                // for); below it every child's hash comes from the node served above it.
                byte[] node = first ? source.node(r.height(), ref.account(), c.path()) : source.child(r.height(), ref.account(), c.path(), c.hash());
                if (node == null || (first && !Arrays.equals(Keccak.hash(node), c.hash()))) return new Nodes(r.id(), true, items);
                first = false;
                TrieNodes.Parsed p = TrieNodes.parse(node, c.path());
                List<byte[]> pre = new ArrayList<>();
                for (TrieNodes.Leaf l : p.leaves()) {
                    byte[] key = l.key();
                    if (key == null) return new Nodes(r.id(), true, items);
                    if (ref.account() == null) {
                        Address a = source.account(key);
                        if (a == null) return new Nodes(r.id(), true, items);
                        pre.add(a.toArray());
                    } else {
                        Word s = source.slot(ref.account(), key);
                        if (s == null) return new Nodes(r.id(), true, items);
                        pre.add(s.toBytes());
                    }
                }
                items.add(new Item(node, pre));
                bytes += node.length + 8 + pre.size() * 34L;
                for (int i = p.children().size() - 1; i >= 0; i--) stack.push(p.children().get(i));
            }
        }
        return new Nodes(r.id(), true, items);
    }

    /** The codes asked for, in order, up to the first unknown one or {@link #MAX_RESPONSE_BYTES}. */
    static Codes serveCode(SnapshotSource source, CodeRequest r) {
        List<byte[]> out = new ArrayList<>();
        long bytes = 0;
        for (byte[] h : r.hashes()) {
            byte[] code = source.code(h);
            if (code == null || (bytes + code.length > MAX_RESPONSE_BYTES && !out.isEmpty())) break;
            bytes += code.length;
            out.add(code);
        }
        return new Codes(r.id(), out);
    }

    // ---- helpers ----

    private static List<RlpType> top(byte[] body, int depth) {
        RlpShape.requireShallow(body, 0, depth);
        List<RlpType> all = RlpDecoder.decode(body).getValues();
        if (all.size() != 1 || !(all.get(0) instanceof RlpList l)) throw new IllegalArgumentException("expected one RLP list");
        return l.getValues();
    }

    private static byte[] bytes(RlpType t) {
        if (!(t instanceof RlpString s)) throw new IllegalArgumentException("expected an RLP string");
        return s.getBytes();
    }

    private static long uint(RlpType t) {
        byte[] b = bytes(t);
        if (b.length > 8) throw new IllegalArgumentException("number too large");
        return new BigInteger(1, b).longValueExact();
    }
}
