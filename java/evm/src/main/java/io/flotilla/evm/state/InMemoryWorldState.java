package io.flotilla.evm.state;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** A hash-map world state, enough for tests, tools and short-lived block execution. */
public final class InMemoryWorldState implements WorldState {
    private final Map<Address, Account> accounts = new HashMap<>();
    private final Map<Address, Map<Word, Word>> storage = new HashMap<>();

    @Override
    public Account account(Address address) {
        return accounts.get(address);
    }

    @Override
    public void putAccount(Address address, Account account) {
        accounts.put(address, account);
    }

    @Override
    public void deleteAccount(Address address) {
        accounts.remove(address);
        storage.remove(address);
    }

    @Override
    public Word storage(Address address, Word key) {
        Map<Word, Word> s = storage.get(address);
        if (s == null) return Word.ZERO;
        Word v = s.get(key);
        return v == null ? Word.ZERO : v;
    }

    @Override
    public void putStorage(Address address, Word key, Word value) {
        if (value.isZero()) {
            Map<Word, Word> s = storage.get(address);
            if (s != null) {
                s.remove(key);
                if (s.isEmpty()) storage.remove(address);
            }
        } else {
            storage.computeIfAbsent(address, a -> new HashMap<>()).put(key, value);
        }
    }

    @Override
    public Map<Word, Word> storageOf(Address address) {
        Map<Word, Word> s = storage.get(address);
        return s == null ? new HashMap<>() : new HashMap<>(s);
    }

    @Override
    public void replaceStorage(Address address, Map<Word, Word> slots) {
        if (slots.isEmpty()) storage.remove(address);
        else storage.put(address, new HashMap<>(slots));
    }

    @Override
    public boolean hasStorage(Address address) {
        Map<Word, Word> s = storage.get(address);
        return s != null && !s.isEmpty();
    }

    @Override
    public Set<Address> addresses() {
        // A HashSet, not Set.copyOf: HashMap bins of colliding addresses become trees (addresses are Comparable), while
        // the immutable sets probe linearly and turn quadratic when an attacker makes many addresses collide.
        return java.util.Collections.unmodifiableSet(new java.util.HashSet<>(accounts.keySet()));
    }
}
