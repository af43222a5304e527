package io.flotilla.evm.trie;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.types.Hex;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The incremental trie gives the same roots as the full rebuild ({@link MerklePatriciaTrie}, itself checked against
 * published vectors) after any sequence of inserts, updates and deletes; its proofs verify; versions are immutable;
 * and a trie committed to a node store reopens by root hash.
 */
class PatriciaTrieTest {
    private static byte[] s(String v) {
        return v.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void publishedVectors() {
        assertEquals("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421", Hex.encode(PatriciaTrie.empty().rootHash()));
        PatriciaTrie t = PatriciaTrie.empty().put(s("doe"), s("reindeer")).put(s("dog"), s("puppy")).put(s("dogglesworth"), s("cat"));
        assertEquals("0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3", Hex.encode(t.rootHash()));
        PatriciaTrie p = PatriciaTrie.empty().put(s("do"), s("verb")).put(s("horse"), s("stallion")).put(s("doge"), s("coin")).put(s("dog"), s("puppy"));
        assertEquals("0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84", Hex.encode(p.rootHash()));
    }

    /** Random operations on short keys over a tiny alphabet: many shared prefixes, values in branches, collapses. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void variableLengthKeysMatchTheFullRebuildAfterEveryOperation(long seed) {
        Random rnd = new Random(seed);
        PatriciaTrie t = PatriciaTrie.empty();
        Map<String, byte[]> model = new HashMap<>();
        for (int op = 0; op < 600; op++) {
            byte[] key = new byte[rnd.nextInt(4)];
            for (int i = 0; i < key.length; i++) key[i] = (byte) (rnd.nextInt(3) * 0x11 + rnd.nextInt(2));
            String k = Hex.encode(key);
            if (rnd.nextInt(3) == 0) {
                t = t.delete(key);
                model.remove(k);
            } else {
                byte[] v = value(rnd);
                t = t.put(key, v);
                model.put(k, v);
            }
            assertArrayEquals(reference(model), t.rootHash(), "after operation " + op + " (seed " + seed + ")");
        }
        for (Map.Entry<String, byte[]> e : model.entrySet()) assertArrayEquals(e.getValue(), t.get(Hex.decode(e.getKey())));
    }

    /** Secure-trie shape (32-byte hashed keys) as the state uses it, growing then shrinking to empty. */
    @ParameterizedTest
    @ValueSource(longs = {11, 12, 13})
    void hashedKeysMatchTheFullRebuildThroughGrowthAndDeletionToEmpty(long seed) {
        Random rnd = new Random(seed);
        PatriciaTrie t = PatriciaTrie.empty();
        Map<String, byte[]> model = new HashMap<>();
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < 400; i++) keys.add(Keccak.hash(new byte[] {(byte) seed, (byte) i, (byte) (i >> 8)}));
        for (int round = 0; round < 40; round++) {
            for (int j = 0; j < 25; j++) {
                byte[] key = keys.get(rnd.nextInt(keys.size()));
                boolean delete = round >= 30 || rnd.nextInt(4) == 0;
                if (delete) {
                    t = t.delete(key);
                    model.remove(Hex.encode(key));
                } else {
                    byte[] v = value(rnd);
                    t = t.put(key, v);
                    model.put(Hex.encode(key), v);
                }
            }
            assertArrayEquals(reference(model), t.rootHash(), "after round " + round);
        }
        for (byte[] k : keys) t = t.delete(k);
        assertArrayEquals(PatriciaTrie.EMPTY_ROOT, t.rootHash());
        assertTrue(t.isEmpty());
    }

    @Test
    void deletingCollapsesBranchesAndExtensionsToTheCanonicalForm() {
        // "dog" and "dogglesworth" share an extension down to a branch; deleting one must leave a single leaf.
        PatriciaTrie t = PatriciaTrie.empty().put(s("dog"), s("puppy")).put(s("dogglesworth"), s("cat"));
        assertArrayEquals(PatriciaTrie.empty().put(s("dog"), s("puppy")).rootHash(), t.delete(s("dogglesworth")).rootHash());
        assertArrayEquals(PatriciaTrie.empty().put(s("dogglesworth"), s("cat")).rootHash(), t.delete(s("dog")).rootHash());
        // a branch left with only its value becomes a leaf; a branch with one child merges into the parent extension
        PatriciaTrie u = PatriciaTrie.empty().put(s("do"), s("verb")).put(s("dog"), s("puppy")).put(s("doge"), s("coin"));
        assertArrayEquals(PatriciaTrie.empty().put(s("do"), s("verb")).put(s("doge"), s("coin")).rootHash(), u.delete(s("dog")).rootHash());
        assertArrayEquals(PatriciaTrie.empty().put(s("doge"), s("coin")).rootHash(), u.delete(s("dog")).delete(s("do")).rootHash());
    }

    @Test
    void earlierVersionsAreUnchangedByLaterUpdates() {
        PatriciaTrie v1 = PatriciaTrie.empty().put(s("a"), s("1")).put(s("b"), s("2"));
        byte[] root1 = v1.rootHash();
        PatriciaTrie v2 = v1.put(s("a"), s("3")).delete(s("b")).put(s("c"), s("4"));
        assertArrayEquals(root1, v1.rootHash());
        assertArrayEquals(s("1"), v1.get(s("a")));
        assertArrayEquals(s("3"), v2.get(s("a")));
        assertNull(v2.get(s("b")));
        assertArrayEquals(s("2"), v1.get(s("b")));
    }

    @Test
    void proofsOfPresenceAndAbsenceVerifyAgainstTheRoot() throws Exception {
        Random rnd = new Random(42);
        PatriciaTrie t = PatriciaTrie.empty();
        Map<String, byte[]> model = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            byte[] k = Keccak.hash(new byte[] {(byte) i, 1});
            byte[] v = value(rnd);
            t = t.put(k, v);
            model.put(Hex.encode(k), v);
        }
        byte[] root = t.rootHash();
        for (Map.Entry<String, byte[]> e : model.entrySet()) {
            byte[] k = Hex.decode(e.getKey());
            Optional<byte[]> shown = TrieProof.verify(root, k, t.proof(k));
            assertArrayEquals(e.getValue(), shown.orElseThrow());
        }
        for (int i = 0; i < 50; i++) {
            byte[] absent = Keccak.hash(new byte[] {(byte) i, 2});
            assertTrue(TrieProof.verify(root, absent, t.proof(absent)).isEmpty());
        }
        // a proof for one root does not verify against another, and a tampered node is caught
        byte[] k = Hex.decode(model.keySet().iterator().next());
        List<byte[]> proof = t.proof(k);
        PatriciaTrie changed = t.put(k, s("other"));
        assertThrows(TrieProof.InvalidProofException.class, () -> TrieProof.verify(changed.rootHash(), k, proof));
        List<byte[]> tampered = new ArrayList<>(proof);
        byte[] last = tampered.get(tampered.size() - 1).clone();
        last[last.length - 1] ^= 1;
        tampered.set(tampered.size() - 1, last);
        assertThrows(TrieProof.InvalidProofException.class, () -> TrieProof.verify(root, k, tampered));
        assertEquals(List.of("0x80"), PatriciaTrie.empty().proof(k).stream().map(Hex::encode).toList(), "the empty trie's root node");
        assertTrue(TrieProof.verify(PatriciaTrie.EMPTY_ROOT, k, PatriciaTrie.empty().proof(k)).isEmpty());
        assertTrue(TrieProof.verify(PatriciaTrie.EMPTY_ROOT, k, List.of()).isEmpty());
        assertThrows(TrieProof.InvalidProofException.class, () -> TrieProof.verify(root, k, List.of(new byte[] {(byte) 0x80})));
    }

    @Test
    void aCommittedTrieReopensByRootHashAndKeepsUpdatingFromTheStore() {
        Random rnd = new Random(7);
        MemoryNodeStore store = new MemoryNodeStore();
        PatriciaTrie t = PatriciaTrie.empty(store);
        Map<String, byte[]> model = new HashMap<>();
        for (int i = 0; i < 500; i++) {
            byte[] k = Keccak.hash(new byte[] {(byte) i, (byte) (i >> 8), 3});
            byte[] v = value(rnd);
            t = t.put(k, v);
            model.put(Hex.encode(k), v);
        }
        byte[] root = t.commit(store).rootHash();
        assertTrue(store.size() > 0);
        PatriciaTrie reopened = PatriciaTrie.open(root, store);
        assertArrayEquals(root, reopened.rootHash());
        for (Map.Entry<String, byte[]> e : model.entrySet()) assertArrayEquals(e.getValue(), reopened.get(Hex.decode(e.getKey())));
        // updates and deletes through store-backed nodes give the same roots as the full rebuild
        PatriciaTrie u = reopened;
        int i = 0;
        for (String key : new ArrayList<>(model.keySet())) {
            if (i++ % 3 == 0) {
                u = u.delete(Hex.decode(key));
                model.remove(key);
            } else if (i % 3 == 1) {
                byte[] v = value(rnd);
                u = u.put(Hex.decode(key), v);
                model.put(key, v);
            }
        }
        assertArrayEquals(reference(model), u.rootHash());
        byte[] k = Hex.decode(model.keySet().iterator().next());
        assertArrayEquals(model.get(Hex.encode(k)), u.get(k));
        // a store that lacks the nodes says so
        assertThrows(PatriciaTrie.MissingNodeException.class, () -> PatriciaTrie.open(root, new MemoryNodeStore()).get(k));
    }

    private static byte[] value(Random rnd) {
        // short values get embedded in their parents, long ones referenced by hash: both shapes occur
        byte[] v = new byte[1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 40)];
        rnd.nextBytes(v);
        if (v[0] == 0) v[0] = 1;
        return v;
    }

    private static byte[] reference(Map<String, byte[]> model) {
        MerklePatriciaTrie m = new MerklePatriciaTrie();
        model.forEach((k, v) -> m.put(Hex.decode(k), v));
        return m.rootHash();
    }
}
