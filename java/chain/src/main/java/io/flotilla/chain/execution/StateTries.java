package io.flotilla.chain.execution;

import io.flotilla.chain.storage.StateDiff;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.StateRoot;
import io.flotilla.evm.state.WorldState;
import io.flotilla.evm.trie.PatriciaTrie;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Merkle-Patricia tries of the committed state: the account trie and one storage trie per account with storage.
 * A block's state root is derived by {@link #update updating} them along the paths of what the block changed (cost:
 * changed accounts and slots × log of the state), never by rebuilding them; the result is installed by {@link #apply}
 * when the block is committed. Tries are persistent (an update leaves the previous version intact), so a block that
 * is built and then discarded costs nothing here.
 * <p>Mutated only by {@link #apply}, under the chain's write lock; readers see whole tries.
 */
public final class StateTries {
    private volatile PatriciaTrie accounts;
    private final Map<Address, PatriciaTrie> storage; // accounts with a non-empty storage trie

    private StateTries(PatriciaTrie accounts, Map<Address, PatriciaTrie> storage) {
        this.accounts = accounts;
        this.storage = storage;
    }

    /** Builds the tries of {@code state} from scratch (once, when a chain opens). */
    public static StateTries build(WorldState state) {
        PatriciaTrie acc = PatriciaTrie.empty();
        Map<Address, PatriciaTrie> st = new ConcurrentHashMap<>();
        for (Address a : state.addresses()) {
            PatriciaTrie s = StateRoot.storageTrie(state.storageOf(a));
            if (!s.isEmpty()) st.put(a, s);
            acc = acc.put(StateRoot.accountKey(a), StateRoot.accountValue(state.account(a), s.rootHash()));
        }
        return new StateTries(acc, st);
    }

    public PatriciaTrie accounts() {
        return accounts;
    }

    /** The storage trie of {@code address} (empty when it has no storage). */
    public PatriciaTrie storage(Address address) {
        PatriciaTrie t = storage.get(address);
        return t == null ? PatriciaTrie.empty() : t;
    }

    /** The storage tries now, by account (an immutable copy: what a snapshot pins). */
    public Map<Address, PatriciaTrie> storageTries() {
        return Map.copyOf(storage);
    }

    public byte[] root() {
        return accounts.rootHash();
    }

    /** The tries after a block, computed but not installed: the new account trie and every changed storage trie. */
    public record Update(PatriciaTrie accounts, Map<Address, PatriciaTrie> storage) {
        public byte[] root() {
            return accounts.rootHash();
        }
    }

    /**
     * The tries after applying {@code diff}, where {@code after} is the state with the diff applied (read for the
     * changed accounts only).
     */
    public Update update(WorldState after, StateDiff diff) {
        Map<Address, PatriciaTrie> changed = new HashMap<>();
        Set<Address> touched = new LinkedHashSet<>(diff.accounts().keySet());
        for (Address a : diff.storageCleared()) {
            changed.put(a, PatriciaTrie.empty());
            touched.add(a);
        }
        diff.storageWrites().forEach((a, writes) -> {
            PatriciaTrie t = changed.containsKey(a) ? changed.get(a) : storage(a);
            for (Map.Entry<Word, Word> w : writes.entrySet()) t = t.put(StateRoot.slotKey(w.getKey()), StateRoot.slotValue(w.getValue()));
            changed.put(a, t);
            touched.add(a);
        });
        // A deleted account loses its storage, whatever the diff wrote to it (applied last, as the state applies it).
        diff.accounts().forEach((a, acc) -> {
            if (acc == null) changed.put(a, PatriciaTrie.empty());
        });
        PatriciaTrie acc = accounts;
        for (Address a : touched) {
            Account account = after.account(a);
            byte[] key = StateRoot.accountKey(a);
            if (account == null) {
                acc = acc.delete(key);
            } else {
                PatriciaTrie s = changed.containsKey(a) ? changed.get(a) : storage(a);
                acc = acc.put(key, StateRoot.accountValue(account, s.rootHash()));
            }
        }
        return new Update(acc, changed);
    }

    /** Installs an update computed on the current tries (the caller holds the chain's write lock). */
    void apply(Update u) {
        u.storage().forEach((a, t) -> {
            if (t.isEmpty()) storage.remove(a);
            else storage.put(a, t);
        });
        accounts = u.accounts();
    }
}
