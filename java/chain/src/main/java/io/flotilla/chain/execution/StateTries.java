package io.flotilla.chain.execution;

import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.storage.StateDiff;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.StateRoot;
import io.flotilla.evm.state.WorldState;
import io.flotilla.evm.trie.NodeStore;
import io.flotilla.evm.trie.PatriciaTrie;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The Merkle-Patricia tries of the committed state: the account trie and one storage trie per account with storage.
 * A block's state root is derived by {@link #update updating} them along the paths of what the block changed (cost:
 * changed accounts and slots × log of the state), never by rebuilding them; the result is installed by {@link #apply}
 * when the block is committed. Tries are persistent (an update leaves the previous version intact), so a block that
 * is built and then discarded costs nothing here.
 * <p>Two kinds: {@link #open on disk} (the chain's: nodes read by hash from a {@link NodeStore} with a bounded cache,
 * storage tries opened from the storage roots of the flat state; after each commit the tries are reopened by their
 * root, so the heap keeps no node beyond the store's cache) and {@link #build in the heap} (tests, genesis).
 * <p>Mutated only by {@link #apply}, under the chain's write lock; readers see whole tries.
 */
public final class StateTries {
    private volatile PatriciaTrie accounts;
    private final NodeStore nodes; // NONE: in the heap
    /** The latest storage tries: from the flat storage roots (disk), or held (heap). */
    private final Function<Address, byte[]> storageRoots;
    private final Map<Address, PatriciaTrie> held; // heap kind only: accounts with a non-empty storage trie

    private StateTries(PatriciaTrie accounts, NodeStore nodes, Function<Address, byte[]> storageRoots, Map<Address, PatriciaTrie> held) {
        this.accounts = accounts;
        this.nodes = nodes;
        this.storageRoots = storageRoots;
        this.held = held;
    }

    /** Builds the tries of {@code state} from scratch in the heap. */
    public static StateTries build(WorldState state) {
        PatriciaTrie acc = PatriciaTrie.empty();
        Map<Address, PatriciaTrie> st = new ConcurrentHashMap<>();
        for (Address a : state.addresses()) {
            PatriciaTrie s = StateRoot.storageTrie(state.storageOf(a));
            if (!s.isEmpty()) st.put(a, s);
            acc = acc.put(StateRoot.accountKey(a), StateRoot.accountValue(state.account(a), s.rootHash()));
        }
        return new StateTries(acc, NodeStore.NONE, null, st);
    }

    /**
     * The tries with account-trie root {@code root} in {@code nodes}; {@code storageRoots} gives the latest storage
     * root of an account (the empty root when none). Reads nothing until a path is followed.
     */
    public static StateTries open(byte[] root, NodeStore nodes, Function<Address, byte[]> storageRoots) {
        return new StateTries(PatriciaTrie.open(root, nodes), nodes, storageRoots, null);
    }

    public PatriciaTrie accounts() {
        return accounts;
    }

    /** The storage trie of {@code address} (empty when it has no storage). */
    public PatriciaTrie storage(Address address) {
        if (held != null) {
            PatriciaTrie t = held.get(address);
            return t == null ? PatriciaTrie.empty() : t;
        }
        return PatriciaTrie.open(storageRoots.apply(address), nodes);
    }

    /** The node store of these tries ({@link NodeStore#NONE} in the heap). */
    public NodeStore nodes() {
        return nodes;
    }

    public byte[] root() {
        return accounts.rootHash();
    }

    /**
     * The tries after a block, computed but not installed: the new account trie, every changed storage trie, and the
     * hashes of the stored nodes the new versions no longer hold (one entry per position).
     */
    public record Update(PatriciaTrie accounts, Map<Address, PatriciaTrie> storage, List<byte[]> released) {
        public byte[] root() {
            return accounts.rootHash();
        }

        /** The nodes these tries add to a store (hash, encoding, depth; one entry per position). Call once, when committing. */
        public List<ChainStore.NewNode> newNodes() {
            List<ChainStore.NewNode> out = new ArrayList<>();
            NodeStore collect = new NodeStore() {
                @Override
                public byte[] get(byte[] hash) {
                    return null;
                }

                @Override
                public void put(byte[] hash, byte[] encoded) {
                    put(hash, encoded, Integer.MAX_VALUE);
                }

                @Override
                public void put(byte[] hash, byte[] encoded, int depth) {
                    out.add(new ChainStore.NewNode(hash, encoded, depth));
                }
            };
            storage.values().forEach(t -> t.commit(collect));
            accounts.commit(collect);
            return out;
        }

        /** The new storage root of every account whose storage trie changed. */
        public Map<Address, byte[]> storageRoots() {
            Map<Address, byte[]> out = new HashMap<>();
            storage.forEach((a, t) -> out.put(a, t.rootHash()));
            return out;
        }
    }

    /**
     * The tries after applying {@code diff}, where {@code after} is the state with the diff applied (read for the
     * changed accounts only).
     */
    public Update update(WorldState after, StateDiff diff) {
        Map<Address, PatriciaTrie> changed = new HashMap<>();
        Map<Address, List<byte[]>> storageReleased = new HashMap<>();
        Set<Address> wholeReleased = new java.util.HashSet<>();
        Set<Address> touched = new LinkedHashSet<>(diff.accounts().keySet());
        for (Address a : diff.storageCleared()) {
            releaseWhole(a, storageReleased, wholeReleased);
            changed.put(a, PatriciaTrie.empty(nodes));
            touched.add(a);
        }
        diff.storageWrites().forEach((a, writes) -> {
            PatriciaTrie t = changed.containsKey(a) ? changed.get(a) : storage(a);
            List<byte[]> rel = storageReleased.computeIfAbsent(a, x -> new ArrayList<>());
            for (Map.Entry<Word, Word> w : writes.entrySet()) t = t.put(StateRoot.slotKey(w.getKey()), StateRoot.slotValue(w.getValue()), rel);
            changed.put(a, t);
            touched.add(a);
        });
        // A deleted account loses its storage, whatever the diff wrote to it (applied last, as the state applies it).
        diff.accounts().forEach((a, acc) -> {
            if (acc == null) {
                releaseWhole(a, storageReleased, wholeReleased);
                changed.put(a, PatriciaTrie.empty(nodes));
            }
        });
        List<byte[]> released = new ArrayList<>();
        storageReleased.values().forEach(released::addAll);
        PatriciaTrie acc = accounts;
        for (Address a : touched) {
            Account account = after.account(a);
            byte[] key = StateRoot.accountKey(a);
            if (account == null) {
                acc = acc.delete(key, released);
            } else {
                PatriciaTrie s = changed.containsKey(a) ? changed.get(a) : storage(a);
                acc = acc.put(key, StateRoot.accountValue(account, s.rootHash()), released);
            }
        }
        return new Update(acc, changed, released);
    }

    /** The committed storage trie of {@code a} goes whole: every stored node of it is released (once). */
    private void releaseWhole(Address a, Map<Address, List<byte[]>> storageReleased, Set<Address> wholeReleased) {
        if (!wholeReleased.add(a)) return;
        List<byte[]> rel = new ArrayList<>();
        storage(a).forEachStoredNode(rel::add);
        storageReleased.put(a, rel); // replaces what writes to the committed trie released (part of the whole)
    }

    /**
     * Installs an update computed on the current tries (the caller holds the chain's write lock). On disk the tries
     * are reopened by their root (the update's nodes were written with the block), so no node stays in the heap.
     */
    void apply(Update u) {
        if (held != null) {
            u.storage().forEach((a, t) -> {
                if (t.isEmpty()) held.remove(a);
                else held.put(a, t);
            });
            accounts = u.accounts();
        } else {
            accounts = PatriciaTrie.open(u.accounts().rootHash(), nodes);
        }
    }
}
