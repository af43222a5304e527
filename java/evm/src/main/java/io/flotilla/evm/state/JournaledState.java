package io.flotilla.evm.state;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The transaction-scoped view of the world state: writes go straight through to the store and
 * register an undo in the shared {@link Journal}; it also remembers original slot values (EIP-2200)
 * and which accounts this transaction created (EIP-6780).
 */
public final class JournaledState {
    private final WorldState world;
    private final Journal journal;
    private final Map<StorageSlot, Word> originals = new HashMap<>();
    private final Set<Address> created = new HashSet<>();

    public JournaledState(WorldState world, Journal journal) {
        this.world = world;
        this.journal = journal;
    }

    public WorldState world() {
        return world;
    }

    public Account account(Address a) {
        return world.account(a);
    }

    public boolean exists(Address a) {
        return world.account(a) != null;
    }

    /** Exists and is not empty (EIP-161 "alive"). */
    public boolean isAlive(Address a) {
        Account acc = world.account(a);
        return acc != null && !acc.isEmpty();
    }

    public boolean existsAndIsEmpty(Address a) {
        Account acc = world.account(a);
        return acc != null && acc.isEmpty();
    }

    public Word balance(Address a) {
        Account acc = world.account(a);
        return acc == null ? Word.ZERO : acc.balance();
    }

    public long nonce(Address a) {
        Account acc = world.account(a);
        return acc == null ? 0 : acc.nonce();
    }

    public byte[] code(Address a) {
        Account acc = world.account(a);
        return acc == null ? new byte[0] : acc.code();
    }

    /** keccak of the code, or zero for a non-existent or empty account (EXTCODEHASH). */
    public Word codeHashForOpcode(Address a) {
        Account acc = world.account(a);
        if (acc == null || acc.isEmpty()) return Word.ZERO;
        return Word.fromBytes(acc.codeHash());
    }

    public byte[] codeHash(Address a) {
        Account acc = world.account(a);
        return acc == null ? Keccak.EMPTY : acc.codeHash();
    }

    private void put(Address a, Account next) {
        Account prev = world.account(a);
        world.putAccount(a, next);
        journal.record(() -> {
            if (prev == null) world.deleteAccount(a);
            else world.putAccount(a, prev);
        });
    }

    private Account getOrEmpty(Address a) {
        Account acc = world.account(a);
        return acc == null ? Account.EMPTY : acc;
    }

    public void setBalance(Address a, Word balance) {
        put(a, getOrEmpty(a).withBalance(balance));
    }

    public void addBalance(Address a, Word amount) {
        put(a, getOrEmpty(a).withBalance(getOrEmpty(a).balance().add(amount)));
    }

    /** Caller must have checked the balance suffices. */
    public void subBalance(Address a, Word amount) {
        put(a, getOrEmpty(a).withBalance(getOrEmpty(a).balance().sub(amount)));
    }

    public void transfer(Address from, Address to, Word amount) {
        subBalance(from, amount);
        addBalance(to, amount);
    }

    public void incrementNonce(Address a) {
        put(a, getOrEmpty(a).withNonce(getOrEmpty(a).nonce() + 1));
    }

    public void setCode(Address a, byte[] code) {
        put(a, getOrEmpty(a).withCode(code));
    }

    public Word storage(Address a, Word key) {
        return world.storage(a, key);
    }

    /** The slot's value at the start of the transaction (0 for accounts created in it). */
    public Word originalStorage(Address a, Word key) {
        if (created.contains(a)) return Word.ZERO;
        Word v = originals.get(new StorageSlot(a, key));
        return v != null ? v : world.storage(a, key);
    }

    public void setStorage(Address a, Word key, Word value) {
        Word prev = world.storage(a, key);
        originals.putIfAbsent(new StorageSlot(a, key), prev);
        world.putStorage(a, key, value);
        journal.record(() -> world.putStorage(a, key, prev));
    }

    public boolean hasStorage(Address a) {
        return world.hasStorage(a);
    }

    public boolean hasCodeOrNonce(Address a) {
        Account acc = world.account(a);
        return acc != null && (acc.nonce() != 0 || acc.code().length != 0);
    }

    /** Wipes the storage of an account about to be created at an address (reverts with the frame). */
    public void clearStorage(Address a) {
        if (!world.hasStorage(a)) return;
        Map<Word, Word> prev = world.storageOf(a);
        world.replaceStorage(a, Map.of());
        journal.record(() -> world.replaceStorage(a, prev));
    }

    public void markCreated(Address a) {
        if (created.add(a)) journal.record(() -> created.remove(a));
    }

    public boolean wasCreated(Address a) {
        return created.contains(a);
    }

    /**
     * Final deletion (selfdestruct, empty-account cleanup) after execution. Journaled like every other write,
     * so a transaction that fails after this point can still be rolled back completely.
     */
    public void destroy(Address a) {
        Account prev = world.account(a);
        Map<Word, Word> prevStorage = world.hasStorage(a) ? world.storageOf(a) : null;
        world.deleteAccount(a);
        journal.record(() -> {
            if (prev != null) world.putAccount(a, prev);
            if (prevStorage != null) world.replaceStorage(a, prevStorage);
        });
    }
}
