package io.flotilla.chain.execution;

import io.flotilla.chain.storage.StateDiff;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.WorldState;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A copy-on-write layer over a world state: reads fall through to the base, writes stay here. Block execution
 * runs on an overlay so a failed or speculative block (eth_call, estimateGas, a proposal) never touches the
 * committed state, and {@link #diff()} is exactly what must be persisted.
 */
public final class OverlayWorldState implements WorldState {
    private final WorldState base;
    private final Map<Address, Account> accounts = new HashMap<>(); // null value = deleted
    private final Set<Address> storageCleared = new HashSet<>();
    private final Map<Address, Map<Word, Word>> storageWrites = new HashMap<>(); // zero value = removed

    public OverlayWorldState(WorldState base) {
        this.base = base;
    }

    @Override
    public Account account(Address address) {
        return accounts.containsKey(address) ? accounts.get(address) : base.account(address);
    }

    @Override
    public void putAccount(Address address, Account account) {
        accounts.put(address, account);
    }

    @Override
    public void deleteAccount(Address address) {
        accounts.put(address, null);
        storageCleared.add(address);
        storageWrites.remove(address);
    }

    @Override
    public Word storage(Address address, Word key) {
        Map<Word, Word> w = storageWrites.get(address);
        if (w != null && w.containsKey(key)) return w.get(key);
        return storageCleared.contains(address) ? Word.ZERO : base.storage(address, key);
    }

    @Override
    public void putStorage(Address address, Word key, Word value) {
        storageWrites.computeIfAbsent(address, a -> new HashMap<>()).put(key, value);
    }

    @Override
    public Map<Word, Word> storageOf(Address address) {
        Map<Word, Word> out = storageCleared.contains(address) ? new HashMap<>() : base.storageOf(address);
        Map<Word, Word> w = storageWrites.get(address);
        if (w != null) {
            for (Map.Entry<Word, Word> e : w.entrySet()) {
                if (e.getValue().isZero()) out.remove(e.getKey());
                else out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    @Override
    public void replaceStorage(Address address, Map<Word, Word> slots) {
        storageCleared.add(address);
        storageWrites.put(address, new HashMap<>(slots));
    }

    @Override
    public boolean hasStorage(Address address) {
        Map<Word, Word> w = storageWrites.get(address);
        if (w != null) {
            for (Word v : w.values()) if (!v.isZero()) return true;
        }
        if (storageCleared.contains(address)) return false;
        if (w == null) return base.hasStorage(address);
        return !storageOf(address).isEmpty();
    }

    @Override
    public Set<Address> addresses() {
        Set<Address> out = new HashSet<>(base.addresses());
        for (Map.Entry<Address, Account> e : accounts.entrySet()) {
            if (e.getValue() == null) out.remove(e.getKey());
            else out.add(e.getKey());
        }
        return out;
    }

    /** Whether this overlay changed any storage of {@code address} (so the base's storage root no longer applies). */
    public boolean storageTouched(Address address) {
        return storageCleared.contains(address) || storageWrites.containsKey(address);
    }

    /** The changes relative to the base, in the shape the store persists. */
    public StateDiff diff() {
        Map<Address, Map<Word, Word>> writes = new HashMap<>();
        storageWrites.forEach((a, w) -> writes.put(a, new HashMap<>(w)));
        return new StateDiff(new HashMap<>(accounts), new HashSet<>(storageCleared), writes);
    }

    /** Applies a diff to a mutable world state (the in-memory mirror of the store). */
    public static void applyTo(WorldState target, StateDiff diff) {
        for (Address a : diff.storageCleared()) target.replaceStorage(a, Map.of());
        diff.storageWrites().forEach((a, w) -> w.forEach((k, v) -> target.putStorage(a, k, v)));
        diff.accounts().forEach((a, acc) -> {
            if (acc == null) target.deleteAccount(a);
            else target.putAccount(a, acc);
        });
    }
}
