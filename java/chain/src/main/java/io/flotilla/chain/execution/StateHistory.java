package io.flotilla.chain.execution;

import io.flotilla.chain.storage.StateDiff;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.WorldState;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Undo records of the most recent blocks: for each, what its state diff overwrote (previous accounts, previous slot
 * values, whole previous storages it cleared). Together with the latest state they give the state after any of these
 * blocks, which tracing re-executes on. Bounded by a number of blocks and by a number of entries (accounts + slots),
 * whichever is reached first; the oldest records go first. Not thread-safe: {@link ChainState} guards it with its lock.
 */
final class StateHistory {
    /** How many blocks back the state is kept (geth's default reexec window for tracing is 128 blocks too). */
    static final int DEFAULT_BLOCKS = 128;
    /** At most this many accounts and slots across all records (about 90 bytes of heap each, measured). */
    static final long DEFAULT_MAX_ENTRIES = 500_000;

    record Undo(long number, Map<Address, Account> accounts, Map<Address, Map<Word, Word>> clearedStorage,
                Map<Address, Map<Word, Word>> slots, long entries) {
    }

    private final int maxBlocks;
    private final long maxEntries;
    private final ArrayDeque<Undo> records = new ArrayDeque<>(); // oldest first
    private long entries;

    StateHistory(int maxBlocks, long maxEntries) {
        this.maxBlocks = maxBlocks;
        this.maxEntries = maxEntries;
    }

    /** Records what applying {@code diff} (block {@code number}) to {@code state} will overwrite; call before applying it. */
    void record(long number, WorldState state, StateDiff diff) {
        if (maxBlocks == 0) return;
        Map<Address, Account> accounts = new HashMap<>();
        for (Address a : diff.accounts().keySet()) accounts.put(a, state.account(a)); // null: did not exist
        Map<Address, Map<Word, Word>> cleared = new HashMap<>();
        long n = accounts.size();
        for (Address a : diff.storageCleared()) {
            Map<Word, Word> before = new HashMap<>(state.storageOf(a));
            cleared.put(a, before);
            n += before.size() + 1;
        }
        Map<Address, Map<Word, Word>> slots = new HashMap<>();
        diff.storageWrites().forEach((a, w) -> {
            if (cleared.containsKey(a)) return;
            Map<Word, Word> before = new HashMap<>();
            for (Word k : w.keySet()) before.put(k, state.storage(a, k));
            slots.put(a, before);
        });
        for (Map<Word, Word> m : slots.values()) n += m.size();
        records.addLast(new Undo(number, accounts, cleared, slots, n));
        entries += n;
        while (!records.isEmpty() && (records.size() > maxBlocks || entries > maxEntries)) entries -= records.removeFirst().entries();
    }

    /** The oldest block whose parent state can be rebuilt; {@code head} + 1 when there are no records. */
    long oldestUndoable(long head) {
        return records.isEmpty() ? head + 1 : records.getFirst().number();
    }

    /** Whether the state after block {@code target} can be rebuilt from the state after {@code head}. */
    boolean covers(long target, long head) {
        return target >= head || (!records.isEmpty() && records.getFirst().number() <= target + 1);
    }

    int blocks() {
        return records.size();
    }

    long entries() {
        return entries;
    }

    /**
     * What the blocks after {@code target} changed: every address whose account or storage changed, with the slots
     * written (into {@code touched}), and the addresses whose whole storage was cleared (into {@code cleared}).
     */
    void changesAfter(long target, Map<Address, java.util.Set<Word>> touched, java.util.Set<Address> cleared) {
        for (Iterator<Undo> it = records.descendingIterator(); it.hasNext(); ) {
            Undo u = it.next();
            if (u.number() <= target) break;
            u.accounts().keySet().forEach(a -> touched.computeIfAbsent(a, x -> new java.util.HashSet<>()));
            u.clearedStorage().keySet().forEach(a -> {
                touched.computeIfAbsent(a, x -> new java.util.HashSet<>());
                cleared.add(a);
            });
            u.slots().forEach((a, s) -> touched.computeIfAbsent(a, x -> new java.util.HashSet<>()).addAll(s.keySet()));
        }
    }

    // ---- reads of the state after block target, given the latest state ----

    Account account(WorldState latest, long target, Address a) {
        for (Undo u : records) {
            if (u.number() <= target) continue;
            if (u.accounts().containsKey(a)) return u.accounts().get(a);
        }
        return latest.account(a);
    }

    Word storage(WorldState latest, long target, Address a, Word key) {
        for (Undo u : records) {
            if (u.number() <= target) continue;
            Map<Word, Word> full = u.clearedStorage().get(a);
            if (full != null) return full.getOrDefault(key, Word.ZERO);
            Map<Word, Word> s = u.slots().get(a);
            if (s != null && s.containsKey(key)) return s.get(key);
        }
        return latest.storage(a, key);
    }

    Map<Word, Word> storageOf(WorldState latest, long target, Address a) {
        Map<Word, Word> out = new HashMap<>(latest.storageOf(a));
        for (Iterator<Undo> it = records.descendingIterator(); it.hasNext(); ) {
            Undo u = it.next();
            if (u.number() <= target) break;
            Map<Word, Word> full = u.clearedStorage().get(a);
            if (full != null) {
                out = new HashMap<>(full);
                continue;
            }
            Map<Word, Word> s = u.slots().get(a);
            if (s == null) continue;
            for (Map.Entry<Word, Word> e : s.entrySet()) {
                if (e.getValue().isZero()) out.remove(e.getKey());
                else out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    java.util.Set<Address> addresses(WorldState latest, long target) {
        java.util.Set<Address> out = new java.util.HashSet<>(latest.addresses());
        for (Iterator<Undo> it = records.descendingIterator(); it.hasNext(); ) {
            Undo u = it.next();
            if (u.number() <= target) break;
            u.accounts().forEach((a, acc) -> {
                if (acc == null) out.remove(a);
                else out.add(a);
            });
        }
        return out;
    }
}
