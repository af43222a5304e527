package io.flotilla.evm.trie;

/**
 * Where trie nodes live by hash: keccak(rlp(node)) -> rlp(node). A {@link PatriciaTrie} keeps the nodes it builds in
 * the heap and reads through this only for nodes it was opened or committed with (referenced by hash and not held
 * as objects). Implementations: {@link MemoryNodeStore} now; a RocksDB column with a bounded cache fits the same
 * two methods.
 */
public interface NodeStore {
    /** The encoding of the node with this hash, or null when the store does not hold it. */
    byte[] get(byte[] hash);

    /** Stores a node under its hash (idempotent: a hash names one encoding). */
    void put(byte[] hash, byte[] encoded);

    /**
     * As {@link #get(byte[])}, for a node that starts {@code depth} nibbles below its trie's root ({@code
     * Integer.MAX_VALUE} when the read is part of a walk over a whole trie). A cache may keep only the upper levels,
     * which lie on nearly every path, and leave the rest to the store below it.
     */
    default byte[] get(byte[] hash, int depth) {
        return get(hash);
    }

    /** As {@link #put(byte[], byte[])}, for a node that starts {@code depth} nibbles below its trie's root. */
    default void put(byte[] hash, byte[] encoded, int depth) {
        put(hash, encoded);
    }

    /** A store that holds nothing: for tries that live entirely in the heap. */
    NodeStore NONE = new NodeStore() {
        @Override
        public byte[] get(byte[] hash) {
            return null;
        }

        @Override
        public void put(byte[] hash, byte[] encoded) {
            throw new UnsupportedOperationException("this trie has no node store");
        }
    };
}
