package io.flotilla.chain.execution;

import io.flotilla.chain.storage.StateDiff;
import io.flotilla.evm.state.StateRoot;
import io.flotilla.evm.state.WorldState;
import io.flotilla.evm.types.Address;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Storage roots of the accounts of one committed state. A contract with a large storage would otherwise have its
 * whole storage trie rebuilt for every block; with the cache only accounts whose storage a block touches are
 * recomputed. Each commit derives a fresh instance ({@link #next}), so a reader still holding the previous one can
 * never poison the current one with roots of an older state.
 */
final class StorageRootCache {
    private final Map<Address, byte[]> roots;

    StorageRootCache() {
        this(new ConcurrentHashMap<>());
    }

    private StorageRootCache(Map<Address, byte[]> roots) {
        this.roots = roots;
    }

    /** The storage root of {@code address} in {@code committed}, the state this cache belongs to. */
    byte[] get(Address address, WorldState committed) {
        return roots.computeIfAbsent(address, a -> StateRoot.storageRoot(committed.storageOf(a)));
    }

    /** The cache for the state after {@code diff}: every root the diff may have changed is dropped. */
    StorageRootCache next(StateDiff diff) {
        Map<Address, byte[]> copy = new ConcurrentHashMap<>(roots);
        diff.storageCleared().forEach(copy::remove);
        diff.storageWrites().keySet().forEach(copy::remove);
        diff.accounts().forEach((a, acc) -> {
            if (acc == null) copy.remove(a);
        });
        return new StorageRootCache(copy);
    }
}
