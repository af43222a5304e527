package io.flotilla.chain.snapshot;

import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.ExecutedBlock;
import io.flotilla.chain.execution.StateTries;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.trie.PatriciaTrie;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The snapshots a member serves, over today's {@link ChainState}: every {@link #interval} blocks (at heights that are
 * multiples of it, the same on every member) the tries of the state after that block are pinned, and the last
 * {@link #keep} pins are kept, plus up to {@link #EXTRA_PINS} older ones that a joiner fetched from within the last
 * minute (so a long transfer is not cut by the chain moving on). The tries are persistent, so a pin holds only the nodes later blocks replaced (at most
 * {@code keep × interval} blocks of changes: 128 by default, the history window), never a copy of the state.
 * <p>The keys' preimages (addresses and slots by the hash the trie is keyed by) are indexed in the heap as the state
 * grows (built once at start, then from each block's changes; never removed, so a pin's keys are always found). With
 * the state on disk they belong to the flat layout instead.
 */
public final class ChainSnapshots implements SnapshotSource {
    public static final int DEFAULT_INTERVAL = 64;
    public static final int DEFAULT_KEEP = 2;

    private record Pin(long height, PatriciaTrie accounts, Map<Address, PatriciaTrie> storage, java.util.concurrent.atomic.AtomicLong lastServed) {
    }

    /** A pin beyond the last {@code keep} stays while it was served within this time (a joiner is fetching it)... */
    static final long IN_USE_NANOS = 60_000_000_000L;
    /** ...up to this many pins beyond {@code keep} (what joiners can hold up, whatever they do). */
    static final int EXTRA_PINS = 2;

    private record Key(long a, long b, long c, long d) {
        static Key of(byte[] h) {
            ByteBuffer bb = ByteBuffer.wrap(h);
            return new Key(bb.getLong(), bb.getLong(), bb.getLong(), bb.getLong());
        }
    }

    private final ChainState chain;
    private final int interval;
    private final int keep;
    private final ConcurrentSkipListMap<Long, Pin> pins = new ConcurrentSkipListMap<>();
    private final Map<Key, Address> accounts = new ConcurrentHashMap<>();
    private final Map<Address, Map<Key, Word>> slots = new ConcurrentHashMap<>();
    private final Map<Key, byte[]> codes = new ConcurrentHashMap<>();

    public ChainSnapshots(ChainState chain) {
        this(chain, DEFAULT_INTERVAL, DEFAULT_KEEP);
    }

    public ChainSnapshots(ChainState chain, int interval, int keep) {
        if (interval < 1 || keep < 1) throw new IllegalArgumentException("snapshot interval and count must be positive");
        this.chain = chain;
        this.interval = interval;
        this.keep = keep;
        chain.onCommit(this::committed); // first, so nothing committed while indexing is missed
        index();
        long head = chain.head().number();
        if (head > 0 && head % interval == 0) pin(head);
    }

    /**
     * Indexes the keys of the whole latest state again: after the state was replaced without executing blocks (a
     * snapshot installed by {@link ChainState#installStaged}). Pins taken before are dropped (another chain's history).
     */
    public void reindex() {
        pins.clear();
        index();
    }

    private void index() {
        chain.read(s -> {
            for (Address a : s.addresses()) {
                indexAccount(a, s.account(a));
                for (Word k : s.storageOf(a).keySet()) indexSlot(a, k);
            }
            return null;
        });
    }

    public int interval() {
        return interval;
    }

    private void committed(ExecutedBlock e) {
        e.stateDiff().accounts().forEach(this::indexAccount);
        e.stateDiff().storageWrites().forEach((a, w) -> w.keySet().forEach(k -> indexSlot(a, k)));
        long n = e.block().number();
        if (n > 0 && n % interval == 0) pin(n);
    }

    private void pin(long height) {
        chain.read(s -> {
            StateTries t = chain.stateTries();
            if (chain.head().number() != height || !Arrays.equals(t.root(), chain.head().stateRoot())) return null;
            pins.put(height, new Pin(height, t.accounts(), t.storageTries(), new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE)));
            long now = System.nanoTime();
            while (pins.size() > keep) {
                Pin oldest = pins.firstEntry().getValue();
                boolean inUse = oldest.lastServed().get() != Long.MIN_VALUE && now - oldest.lastServed().get() < IN_USE_NANOS;
                if (inUse && pins.size() <= keep + EXTRA_PINS) break;
                pins.pollFirstEntry();
            }
            return null;
        });
    }

    private void indexAccount(Address a, Account acc) {
        accounts.put(Key.of(Keccak.hash(a.toArray())), a);
        if (acc != null && acc.code().length > 0) codes.putIfAbsent(Key.of(acc.codeHash()), acc.code());
    }

    private void indexSlot(Address a, Word k) {
        slots.computeIfAbsent(a, x -> new ConcurrentHashMap<>()).put(Key.of(Keccak.hash(k.toBytes())), k);
    }

    @Override
    public List<Long> heights() {
        return new ArrayList<>(pins.keySet());
    }

    @Override
    public byte[] node(long height, Address account, byte[] path) {
        Pin p = pins.get(height);
        if (p == null) return null;
        p.lastServed().set(System.nanoTime());
        PatriciaTrie t = account == null ? p.accounts() : p.storage().get(account);
        return t == null ? null : t.nodeAt(path);
    }

    @Override
    public Address account(byte[] keyHash) {
        return accounts.get(Key.of(keyHash));
    }

    @Override
    public Word slot(Address account, byte[] keyHash) {
        Map<Key, Word> m = slots.get(account);
        return m == null ? null : m.get(Key.of(keyHash));
    }

    @Override
    public byte[] code(byte[] codeHash) {
        return codeHash.length != 32 ? null : codes.get(Key.of(codeHash));
    }
}
