package io.flotilla.evm.trie;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link NodeStore} in a hash map: for tests and tools (it grows without bound). */
public final class MemoryNodeStore implements NodeStore {
    private final Map<ByteBuffer, byte[]> nodes = new ConcurrentHashMap<>();

    @Override
    public byte[] get(byte[] hash) {
        byte[] e = nodes.get(ByteBuffer.wrap(hash));
        return e == null ? null : e.clone();
    }

    @Override
    public void put(byte[] hash, byte[] encoded) {
        nodes.putIfAbsent(ByteBuffer.wrap(hash.clone()), encoded.clone());
    }

    public int size() {
        return nodes.size();
    }
}
