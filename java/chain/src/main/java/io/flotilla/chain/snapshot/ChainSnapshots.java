package io.flotilla.chain.snapshot;

import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.ExecutedBlock;
import io.flotilla.chain.execution.StatePins;
import java.util.Optional;
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
 * The snapshots a member serves, over the chain's state in the store: every {@link #interval} blocks (at heights that
 * are multiples of it, the same on every member) the state after that block is pinned ({@link ChainState#pin}: its
 * trie nodes are not pruned while pinned), and the last {@link #keep} pins are kept, plus up to {@link #EXTRA_PINS}
 * older ones that a joiner fetched from within the last minute (so a long transfer is not cut by the chain moving on).
 * Nodes are read from the store by the pinned block's state root; the keys' preimages (addresses and slots by the hash
 * the trie is keyed by) and code come from the store's records. Nothing of the state is held in the heap.
 */
public final class ChainSnapshots implements SnapshotSource {
    public static final int DEFAULT_INTERVAL = 64;
    public static final int DEFAULT_KEEP = 2;

    private record Pin(long height, byte[] root, StatePins.Pin hold, java.util.concurrent.atomic.AtomicLong lastServed) {
    }

    /** A pin beyond the last {@code keep} stays while it was served within this time (a joiner is fetching it)... */
    static final long IN_USE_NANOS = 60_000_000_000L;
    /** ...up to this many pins beyond {@code keep} (what joiners can hold up, whatever they do). */
    static final int EXTRA_PINS = 2;

    private final ChainState chain;
    private final int interval;
    private final int keep;
    private final ConcurrentSkipListMap<Long, Pin> pins = new ConcurrentSkipListMap<>();

    public ChainSnapshots(ChainState chain) {
        this(chain, DEFAULT_INTERVAL, DEFAULT_KEEP);
    }

    public ChainSnapshots(ChainState chain, int interval, int keep) {
        if (interval < 1 || keep < 1) throw new IllegalArgumentException("snapshot interval and count must be positive");
        this.chain = chain;
        this.interval = interval;
        this.keep = keep;
        chain.onCommit(this::committed);
        // The states are on disk: after a restart the last pins are still kept and served again at once.
        long head = chain.head().number();
        for (long h = Math.max(interval, (head / interval - keep + 1) * interval); h <= head; h += interval) pin(h);
    }

    /**
     * After the state was replaced without executing blocks (a snapshot installed by {@link ChainState#installStaged}):
     * pins taken before are dropped (another chain's history), and the installed height is pinned when it is one.
     */
    public synchronized void reindex() {
        for (Pin p : pins.values()) p.hold().close();
        pins.clear();
        long head = chain.head().number();
        if (head > 0 && head % interval == 0) pin(head);
    }

    public int interval() {
        return interval;
    }

    private void committed(ExecutedBlock e) {
        long n = e.block().number();
        if (n > 0 && n % interval == 0) pin(n);
    }

    private synchronized void pin(long height) {
        if (pins.containsKey(height)) return;
        Optional<StatePins.Pin> hold = chain.pin(height);
        Optional<io.flotilla.chain.storage.BlockHeader> h = chain.header(height);
        if (hold.isEmpty() || h.isEmpty()) {
            hold.ifPresent(StatePins.Pin::close);
            return;
        }
        pins.put(height, new Pin(height, h.get().stateRoot(), hold.get(), new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE)));
        long now = System.nanoTime();
        while (pins.size() > keep) {
            Pin oldest = pins.firstEntry().getValue();
            boolean inUse = oldest.lastServed().get() != Long.MIN_VALUE && now - oldest.lastServed().get() < IN_USE_NANOS;
            if (inUse && pins.size() <= keep + EXTRA_PINS) break;
            pins.pollFirstEntry().getValue().hold().close();
        }
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
        try {
            PatriciaTrie t = PatriciaTrie.open(p.root(), chain.trieNodes());
            if (account != null) {
                byte[] leaf = t.get(Keccak.hash(account.toArray()));
                if (leaf == null) return null;
                t = PatriciaTrie.open(TrieNodes.strings(leaf).get(2), chain.trieNodes());
            }
            return t.nodeAt(path);
        } catch (PatriciaTrie.MissingNodeException e) {
            return null; // the pin was dropped (and its nodes pruned) while this was read
        }
    }

    /** Read by hash: the pin keeps every node of its state, and a node stored under a hash is the one with that hash. */
    @Override
    public byte[] child(long height, Address account, byte[] path, byte[] hash) {
        Pin p = pins.get(height);
        if (p == null) return null;
        p.lastServed().set(System.nanoTime());
        byte[] node = chain.trieNodes().get(hash);
        return node != null ? node : node(height, account, path);
    }

    @Override
    public Address account(byte[] keyHash) {
        byte[] a = chain.preimage(keyHash);
        return a == null || a.length != 20 ? null : Address.of(a);
    }

    @Override
    public Word slot(Address account, byte[] keyHash) {
        byte[] k = chain.preimage(keyHash);
        return k == null || k.length != 32 ? null : Word.fromBytes(k);
    }

    @Override
    public byte[] code(byte[] codeHash) {
        return codeHash.length != 32 ? null : chain.code(codeHash);
    }
}
