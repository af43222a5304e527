package io.flotilla.chain.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.trie.MerklePatriciaTrie;
import io.flotilla.evm.trie.PatriciaTrie;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A trie kept in RocksDB by node hash: reopened by its root after the store is closed, read and updated through a bounded cache. */
class TrieNodesTest {
    @TempDir
    Path dir;

    @Test
    void aTrieCommittedToTheStoreReopensByRootAfterARestartWithABoundedCache() {
        Random rnd = new Random(5);
        byte[][] keys = new byte[5_000][];
        byte[][] values = new byte[keys.length][];
        PatriciaTrie t = PatriciaTrie.empty();
        for (int i = 0; i < keys.length; i++) {
            keys[i] = Keccak.hash(new byte[] {(byte) i, (byte) (i >> 8), 9});
            values[i] = new byte[1 + rnd.nextInt(60)];
            rnd.nextBytes(values[i]);
            values[i][0] |= 1;
            t = t.put(keys[i], values[i]);
        }
        byte[] root;
        try (ChainStore store = ChainStore.open(dir)) {
            root = t.commit(store.trieNodes(64 << 10)).rootHash();
        }
        long cacheBytes = 32 << 10; // far below the trie's size
        try (ChainStore store = ChainStore.open(dir)) {
            ChainStore.TrieNodes nodes = store.trieNodes(cacheBytes);
            PatriciaTrie reopened = PatriciaTrie.open(root, nodes);
            for (int i = 0; i < keys.length; i += 7) assertArrayEquals(values[i], reopened.get(keys[i]));
            assertTrue(nodes.cachedBytes() <= cacheBytes, "cache " + nodes.cachedBytes() + " bytes");
            // updates through store-backed nodes: the same root as a rebuild
            PatriciaTrie u = reopened;
            MerklePatriciaTrie reference = new MerklePatriciaTrie();
            for (int i = 0; i < keys.length; i++) {
                if (i % 10 == 0) {
                    u = u.delete(keys[i]);
                } else {
                    if (i % 10 == 1) values[i] = new byte[] {7, (byte) i};
                    if (i % 10 == 1) u = u.put(keys[i], values[i]);
                    reference.put(keys[i], values[i]);
                }
            }
            assertArrayEquals(reference.rootHash(), u.rootHash());
            assertTrue(nodes.cachedBytes() <= cacheBytes);
        }
    }

    @Test
    void onlyTheUpperLevelsOfATrieEnterTheHeapCacheSoDeepReadsCannotChurnIt() {
        byte[][] keys = new byte[20_000][];
        PatriciaTrie t = PatriciaTrie.empty();
        for (int i = 0; i < keys.length; i++) {
            keys[i] = Keccak.hash(new byte[] {(byte) i, (byte) (i >> 8), (byte) (i >> 16), 4});
            t = t.put(keys[i], new byte[] {1, (byte) i});
        }
        int[] stored = {0};
        t.forEachStoredNode(h -> stored[0]++);
        byte[] root;
        try (ChainStore store = ChainStore.open(dir)) {
            root = t.commit(store.trieNodes(64 << 20)).rootHash();
        }
        try (ChainStore store = ChainStore.open(dir)) {
            ChainStore.TrieNodes nodes = store.trieNodes(64 << 20); // room for the whole trie
            PatriciaTrie reopened = PatriciaTrie.open(root, nodes);
            for (int i = 0; i < keys.length; i++) assertArrayEquals(new byte[] {1, (byte) i}, reopened.get(keys[i]));
            int upper = 1 + 16 + 256 + 4096; // every node that starts less than 4 nibbles below the root
            assertTrue(nodes.cachedNodes() > 256 && nodes.cachedNodes() <= upper,
                    nodes.cachedNodes() + " nodes cached of " + stored[0] + " stored");
            // a walk over the whole trie and reads by hash alone (as a snapshot server makes) add nothing
            int before = nodes.cachedNodes();
            int[] leaves = {0};
            reopened.forEachEntry((k, v) -> leaves[0]++);
            assertEquals(keys.length, leaves[0]);
            reopened.forEachStoredNode(h -> assertTrue(nodes.get(h) != null));
            assertEquals(before, nodes.cachedNodes());
        }
    }
}
