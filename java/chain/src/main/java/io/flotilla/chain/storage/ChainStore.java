package io.flotilla.chain.storage;

import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.chain.tx.TxDecoder;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.Log;
import io.flotilla.evm.state.WorldState;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * RocksDB persistence for blocks, receipts, indices and the world state. One key space, one-byte prefixes:
 * <pre>
 *   'm' "head"            -> head block number (8 bytes)
 *   'h' number            -> header encoding
 *   'n' blockHash         -> number
 *   'b' number            -> body: rlp([[rawTx, sender], ...])
 *   'r' number            -> receipts: rlp([[type, status, cumulativeGas, gasUsed, price, contract, logs], ...])
 *   't' txHash            -> number (8) ++ index (4)
 *   'a' address           -> rlp([nonce, balance, codeHash])
 *   'c' codeHash          -> code
 *   's' address slotKey   -> value (minimal bytes)
 *   'p' txHash            -> raw transaction accepted into the pool, not yet included (the durable pool)
 *   'R' address           -> the root of the account's storage trie (absent: empty storage)
 *   'x' nodeHash          -> trie node (rlp) of the account or a storage trie, see {@link #nodes}
 *   'X' nodeHash          -> how many positions of kept trie versions hold the node (8 bytes little-endian, a merge
 *                            counter): 0 deletes it
 *   'j' number            -> the hashes of the nodes block {@code number} released (32 bytes each): applied
 *                            (counts decremented) when the state before that block leaves the history window
 *   'k' keccak(key)       -> key: the address or slot a trie key hashes from (what snapshot serving sends)
 *   'm' "oldest"          -> the oldest block whose state the nodes still hold (8 bytes)
 *   'y' ...               -> a snapshot sync in progress, see {@link #staging}: 'y' + a final key ('a', 's', 'c', 'h',
 *                            'n', 'b' as above) for what the sync verified, 'y' 'M' name for its progress records
 * </pre>
 * Pool entries are written without fsync (RocksDB's write-ahead log, in the operating system's page cache): they
 * survive the process being killed, not a power cut (see docs/chain.md, "Durable transaction pool").
 * Everything a block changes is written in one synced WriteBatch, so after a crash the store holds either the
 * whole block or none of it, and the head pointer never gets ahead of the state.
 * eth_getLogs walks block numbers and skips blocks by header bloom, so no separate log index is kept.
 */
public final class ChainStore implements AutoCloseable {
    private static final byte META = 'm';
    private static final byte HEADER = 'h';
    private static final byte NUMBER_BY_HASH = 'n';
    private static final byte BODY = 'b';
    private static final byte RECEIPTS = 'r';
    private static final byte TX_INDEX = 't';
    private static final byte ACCOUNT = 'a';
    private static final byte CODE = 'c';
    private static final byte STORAGE = 's';
    private static final byte POOL = 'p';
    private static final byte TRIE_NODE = 'x';
    private static final byte NODE_COUNT = 'X';
    private static final byte JOURNAL = 'j';
    private static final byte PREIMAGE = 'k';
    private static final byte STORAGE_ROOT = 'R';
    private static final byte[] OLDEST_KEY = {META, 'o', 'l', 'd', 'e', 's', 't'};
    private static final byte[] PLUS_ONE = littleEndian(1);
    private static final byte[] MINUS_ONE = littleEndian(-1);
    /** Default bytes of trie-node encodings cached in the heap (the JVM of a dev4 subnode has about 96 MiB). */
    public static final long DEFAULT_NODE_CACHE = 16L << 20;
    private static final byte STAGING = 'y';
    private static final byte[] HEAD_KEY = {META, 'h', 'e', 'a', 'd'};
    /** Present while a snapshot install is under way: the head it installs (see {@link Staging#install}). */
    private static final byte[] INSTALLING_KEY = {META, 'i', 'n', 's', 't', 'a', 'l', 'l'};
    /** The state prefixes an install replaces whole. */
    private static final byte[] STATE_PREFIXES = {ACCOUNT, STORAGE, STORAGE_ROOT, TRIE_NODE, NODE_COUNT, JOURNAL};
    /** Size at which an install starts a new table file. */
    private static final long INSTALL_FILE_BYTES = 256L << 20;

    static {
        RocksDB.loadLibrary();
    }

    private final Options options;
    private final LRUCache cache;
    private final WriteOptions syncWrites;
    /** Write-ahead-logged but not fsynced: survives a process kill, not a power cut. */
    private final WriteOptions logWrites = new WriteOptions();
    private final RocksDB db;
    private final org.rocksdb.UInt64AddOperator counter;
    private final TrieNodes nodes;
    private final Path dir;

    private ChainStore(Path dir, Options options, LRUCache cache, org.rocksdb.UInt64AddOperator counter, RocksDB db, long nodeCacheBytes) {
        this.dir = dir;
        this.options = options;
        this.cache = cache;
        this.counter = counter;
        this.db = db;
        this.syncWrites = new WriteOptions().setSync(true);
        this.nodes = new TrieNodes(nodeCacheBytes);
    }

    /** Opens (creating if needed) the store in {@code dir}. Small buffers: a subnode should idle in little memory. */
    public static ChainStore open(Path dir) {
        return open(dir, DEFAULT_NODE_CACHE);
    }

    /**
     * As {@link #open(Path)}, caching at most {@code nodeCacheBytes} of trie-node encodings in the heap (the state
     * itself stays on disk: opening reads nothing of it).
     */
    public static ChainStore open(Path dir, long nodeCacheBytes) {
        try {
            Files.createDirectories(dir);
            // Off-heap block cache; bloom filters let a read of a key a table lacks (a new account or slot, a node
            // that another level holds) skip that table without reading a block.
            LRUCache cache = new LRUCache(16L << 20);
            // Recovering after the volume filled replays the write-ahead log into memtables and flushes them, which
            // needs room for both: a small volume (a test's 32 MiB) gets 4 MiB memtables; 1 GiB or more gets 16 MiB,
            // fewer flushes and compactions under load (docs/benchmarks.md, "After the state fixes").
            long writeBuffer = Files.getFileStore(dir).getTotalSpace() >= (1L << 30) ? 16L << 20 : 4L << 20;
            org.rocksdb.UInt64AddOperator counter = new org.rocksdb.UInt64AddOperator();
            Options options = new Options()
                    .setCreateIfMissing(true)
                    .setMergeOperator(counter)
                    .setWriteBufferSize(writeBuffer)
                    .setMaxWriteBufferNumber(2)
                    .setCompressionType(org.rocksdb.CompressionType.NO_COMPRESSION)
                    .setMaxOpenFiles(256)
                    .setKeepLogFileNum(2)
                    .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache)
                            .setFilterPolicy(new org.rocksdb.BloomFilter(10, false)));
            ChainStore store = new ChainStore(dir, options, cache, counter, RocksDB.open(options, dir.toString()), nodeCacheBytes);
            byte[] installing = store.get(INSTALLING_KEY);
            if (installing != null) store.completeInstall(ByteBuffer.wrap(installing).getLong()); // interrupted: finish it
            return store;
        } catch (RocksDBException | java.io.IOException e) {
            throw new StoreException("cannot open chain store at " + dir, e);
        }
    }

    public OptionalLong headNumber() {
        byte[] v = get(HEAD_KEY);
        return v == null ? OptionalLong.empty() : OptionalLong.of(ByteBuffer.wrap(v).getLong());
    }

    public Optional<BlockHeader> header(long number) {
        byte[] v = get(key(HEADER, longBytes(number)));
        return v == null ? Optional.empty() : Optional.of(BlockHeader.decode(v));
    }

    public OptionalLong numberOf(byte[] blockHash) {
        byte[] v = get(key(NUMBER_BY_HASH, blockHash));
        return v == null ? OptionalLong.empty() : OptionalLong.of(ByteBuffer.wrap(v).getLong());
    }

    public Optional<Block> block(long number, TxDecoder decoder) {
        Optional<BlockHeader> header = header(number);
        if (header.isEmpty()) return Optional.empty();
        byte[] body = get(key(BODY, longBytes(number)));
        List<SignedTransaction> txs = new ArrayList<>();
        for (RlpType item : list(body)) {
            List<RlpType> pair = ((RlpList) item).getValues();
            txs.add(decoder.decodeTrusted(bytes(pair.get(0)), Address.of(bytes(pair.get(1)))));
        }
        return Optional.of(new Block(header.get(), txs));
    }

    public List<TxReceipt> receipts(long number) {
        byte[] v = get(key(RECEIPTS, longBytes(number)));
        if (v == null) return List.of();
        List<TxReceipt> out = new ArrayList<>();
        for (RlpType item : list(v)) out.add(decodeReceipt(((RlpList) item).getValues()));
        return out;
    }

    public Optional<TxLocation> txLocation(byte[] txHash) {
        byte[] v = get(key(TX_INDEX, txHash));
        if (v == null) return Optional.empty();
        ByteBuffer b = ByteBuffer.wrap(v);
        return Optional.of(new TxLocation(b.getLong(), b.getInt()));
    }

    /** Copies the committed world state into {@code into} (used once at start-up). */
    public void loadState(WorldState into) {
        loadState(into, new byte[0]);
    }

    /** Copies the state stored under {@code base} + the state prefixes into {@code into}. */
    private void loadState(WorldState into, byte[] base) {
        byte[] accounts = concat(base, new byte[] {ACCOUNT});
        byte[] slots = concat(base, new byte[] {STORAGE});
        int at = base.length + 1;
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(accounts); it.isValid() && startsWith(it.key(), accounts); it.next()) {
                Address a = Address.of(Arrays.copyOfRange(it.key(), at, at + 20));
                List<RlpType> f = list(it.value());
                long nonce = ((RlpString) f.get(0)).asPositiveBigInteger().longValue();
                Word balance = Word.fromBytes(bytes(f.get(1)));
                byte[] codeHash = bytes(f.get(2));
                byte[] code = codeHash.length == 0 ? new byte[0] : get(concat(base, key(CODE, codeHash)));
                if (code == null && base.length > 0) code = get(key(CODE, codeHash)); // staged: may be in the store already
                into.putAccount(a, Account.of(nonce, balance, code == null ? new byte[0] : code));
            }
            for (it.seek(slots); it.isValid() && startsWith(it.key(), slots); it.next()) {
                byte[] k = it.key();
                into.putStorage(Address.of(Arrays.copyOfRange(k, at, at + 20)), Word.fromBytes(k, at + 20, 32), Word.fromBytes(it.value()));
            }
        }
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** A small named record outside the chain data (e.g. the consensus safety record), written durably. */
    public void putMeta(String name, byte[] value) {
        try {
            db.put(syncWrites, key(META, ("x/" + name).getBytes(java.nio.charset.StandardCharsets.UTF_8)), value);
        } catch (RocksDBException e) {
            throw new StoreException("cannot write " + name, e);
        }
    }

    public Optional<byte[]> meta(String name) {
        return Optional.ofNullable(get(key(META, ("x/" + name).getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    }

    /** Keeps one pooled transaction (write-ahead-logged, not fsynced). */
    public void putPooled(byte[] txHash, byte[] raw) {
        try {
            db.put(logWrites, key(POOL, txHash), raw);
        } catch (RocksDBException e) {
            throw new StoreException("cannot keep a pooled transaction", e);
        }
    }

    /** Applies pool changes in order in one write batch (write-ahead-logged, not fsynced): raw bytes to keep, or null to forget. */
    public void writePooled(List<Map.Entry<byte[], byte[]>> changes) {
        if (changes.isEmpty()) return;
        try (WriteBatch batch = new WriteBatch()) {
            for (Map.Entry<byte[], byte[]> c : changes) {
                if (c.getValue() == null) batch.delete(key(POOL, c.getKey()));
                else batch.put(key(POOL, c.getKey()), c.getValue());
            }
            db.write(logWrites, batch);
        } catch (RocksDBException e) {
            throw new StoreException("cannot write pool changes", e);
        }
    }

    /** Every pooled transaction kept, as raw bytes by hash. */
    public Map<byte[], byte[]> pooled() {
        Map<byte[], byte[]> out = new java.util.LinkedHashMap<>();
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(new byte[] {POOL}); it.isValid() && it.key()[0] == POOL; it.next()) {
                out.put(Arrays.copyOfRange(it.key(), 1, it.key().length), it.value());
            }
        }
        return out;
    }

    /**
     * What a block writes to the tries besides its flat state: the nodes its tries added (hash, encoding: one entry
     * per position, so a node held at two positions counts twice), the hashes of the stored nodes they no longer hold
     * (journaled, released when the state before the block leaves the window), the new storage roots of the accounts
     * whose storage changed, and {@code oldest}: the oldest state to keep from now on (journals of blocks up to it
     * are applied in the same batch). {@code journal} false (an archive) keeps every node.
     */
    public record StateWrite(List<NewNode> nodes, List<byte[]> released, Map<Address, byte[]> storageRoots, long oldest, boolean journal) {
    }

    /** A trie node a block adds: its hash, its encoding, and how many nibbles below its trie's root it starts. */
    public record NewNode(byte[] hash, byte[] encoding, int depth) {
    }

    /** Atomically writes a block, its receipts, its indices and its state changes (flat records only; tests). */
    public void commit(Block block, List<TxReceipt> receipts, StateDiff diff) {
        commit(block, receipts, diff, null);
    }

    /**
     * Atomically writes a block, its receipts, its indices, its state changes (flat records, trie nodes, counts,
     * journal, pruning of what left the window), then moves the head: one synced batch, so a writer killed at any
     * point leaves the store at the last whole block.
     */
    public void commit(Block block, List<TxReceipt> receipts, StateDiff diff, StateWrite trie) {
        long number = block.number();
        byte[] num = longBytes(number);
        try (WriteBatch batch = new WriteBatch()) {
            batch.put(key(HEADER, num), block.header().encode());
            batch.put(key(NUMBER_BY_HASH, block.hash()), num);
            List<RlpType> body = new ArrayList<>();
            for (int i = 0; i < block.transactions().size(); i++) {
                SignedTransaction tx = block.transactions().get(i);
                body.add(new RlpList(RlpString.create(tx.raw()), RlpString.create(tx.sender().toArray())));
                batch.put(key(TX_INDEX, tx.hash()), ByteBuffer.allocate(12).putLong(number).putInt(i).array());
            }
            batch.put(key(BODY, num), io.flotilla.evm.rlp.Rlp.encode(new RlpList(body)));
            batch.put(key(RECEIPTS, num), io.flotilla.evm.rlp.Rlp.encode(new RlpList(receipts.stream().map(ChainStore::encodeReceipt).toList())));
            Map<ByteBuffer, byte[]> accountsWritten = new java.util.HashMap<>();
            writeState(batch, diff, accountsWritten);
            if (trie != null) writeTries(batch, number, diff, trie);
            batch.put(HEAD_KEY, num);
            db.write(syncWrites, batch);
            synchronized (accountCache) {
                accountGeneration++;
                accountsWritten.forEach(this::cacheAccount);
            }
        } catch (RocksDBException e) {
            forgetAccounts(); // the batch may or may not have been applied
            throw new StoreException("cannot commit block " + number, e);
        }
        if (trie != null) {
            // The nodes the block replaced leave the heap cache now (historical reads find them in the store): kept
            // until the cache evicted them, old versions of the upper levels filled it and made it churn.
            for (byte[] r : trie.released()) nodes.forget(ByteBuffer.wrap(r));
            for (NewNode n : trie.nodes()) if (n.depth() < TrieNodes.CACHED_DEPTH) nodes.remember(ByteBuffer.wrap(n.hash().clone()), n.encoding());
        }
    }

    private void writeTries(WriteBatch batch, long number, StateDiff diff, StateWrite w) throws RocksDBException {
        Map<ByteBuffer, Long> pending = new java.util.HashMap<>(); // count changes made by this batch
        for (NewNode n : w.nodes()) {
            batch.put(key(TRIE_NODE, n.hash()), n.encoding());
            batch.merge(key(NODE_COUNT, n.hash()), PLUS_ONE);
            pending.merge(ByteBuffer.wrap(n.hash()), 1L, Long::sum);
        }
        w.storageRoots().forEach((a, root) -> {
            try {
                if (Arrays.equals(root, io.flotilla.evm.trie.PatriciaTrie.EMPTY_ROOT)) batch.delete(key(STORAGE_ROOT, a.toArray()));
                else batch.put(key(STORAGE_ROOT, a.toArray()), root);
            } catch (RocksDBException e) {
                throw new StoreException("cannot write a storage root", e);
            }
        });
        for (Map.Entry<Address, Account> e : diff.accounts().entrySet()) {
            if (e.getValue() == null) batch.delete(key(STORAGE_ROOT, e.getKey().toArray()));
            byte[] a = e.getKey().toArray();
            batch.put(key(PREIMAGE, io.flotilla.evm.crypto.Keccak.hash(a)), a);
        }
        for (Map<Word, Word> writes : diff.storageWrites().values()) {
            for (Map.Entry<Word, Word> slot : writes.entrySet()) {
                if (slot.getValue().isZero()) continue;
                byte[] k = slot.getKey().toBytes();
                batch.put(key(PREIMAGE, io.flotilla.evm.crypto.Keccak.hash(k)), k);
            }
        }
        if (w.journal() && !w.released().isEmpty()) {
            byte[] j = new byte[32 * w.released().size()];
            for (int i = 0; i < w.released().size(); i++) System.arraycopy(w.released().get(i), 0, j, 32 * i, 32);
            batch.put(key(JOURNAL, longBytes(number)), j);
        }
        long oldest = oldestState();
        if (w.journal() && w.oldest() > oldest) {
            for (long p = oldest + 1; p <= w.oldest(); p++) {
                byte[] jk = key(JOURNAL, longBytes(p));
                byte[] j = p == number ? null : get(jk);
                if (p == number) throw new IllegalStateException("the state before block " + number + " cannot leave the window as it is written");
                if (j == null) continue;
                for (int i = 0; i + 32 <= j.length; i += 32) release(batch, Arrays.copyOfRange(j, i, i + 32), pending);
                batch.delete(jk);
            }
            batch.put(OLDEST_KEY, longBytes(w.oldest()));
        }
    }

    /**
     * Writes the tries of the state stored flat (a store written before trie nodes were kept): {@code all} is that
     * whole state as one diff, {@code w} its nodes; no block is added, and the oldest kept state becomes the head's
     * (earlier states have no nodes). One synced batch.
     */
    public void writeTries(long head, StateDiff all, StateWrite w) {
        try (WriteBatch batch = new WriteBatch()) {
            writeTries(batch, head, all, w);
            batch.put(OLDEST_KEY, longBytes(head));
            db.write(syncWrites, batch);
        } catch (RocksDBException e) {
            throw new StoreException("cannot write the state's tries", e);
        }
    }

    /** One position less for a node: merged down, or deleted with its counter when none is left. */
    private void release(WriteBatch batch, byte[] hash, Map<ByteBuffer, Long> pending) throws RocksDBException {
        byte[] ck = key(NODE_COUNT, hash);
        ByteBuffer k = ByteBuffer.wrap(hash);
        byte[] stored = get(ck);
        long count = (stored == null ? 0 : fromLittleEndian(stored)) + pending.getOrDefault(k, 0L);
        if (count <= 1) {
            batch.delete(key(TRIE_NODE, hash));
            batch.delete(ck);
            pending.put(k, -(stored == null ? 0 : fromLittleEndian(stored)));
            nodes.forget(k);
        } else {
            batch.merge(ck, MINUS_ONE);
            pending.merge(k, -1L, Long::sum);
        }
    }

    private static byte[] littleEndian(long v) {
        return ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    private static long fromLittleEndian(byte[] v) {
        return v.length != 8 ? 0 : ByteBuffer.wrap(v).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** The oldest block whose state the trie nodes still hold (0 until anything was pruned). */
    public long oldestState() {
        byte[] v = get(OLDEST_KEY);
        return v == null ? 0 : ByteBuffer.wrap(v).getLong();
    }

    /** How many positions of kept versions hold the node with this hash (0: not stored). */
    public long nodeCount(byte[] hash) {
        byte[] v = get(key(NODE_COUNT, hash));
        return v == null ? 0 : fromLittleEndian(v);
    }

    // ---- flat state (the latest) ----

    /** The account in the latest state, with its code; null when it does not exist. */
    public Account account(Address address) {
        byte[] v = accountRecord(address);
        if (v == null) return null;
        List<RlpType> f = list(v);
        long nonce = ((RlpString) f.get(0)).asPositiveBigInteger().longValue();
        Word balance = Word.fromBytes(bytes(f.get(1)));
        byte[] codeHash = bytes(f.get(2));
        if (codeHash.length == 0) return new Account(nonce, balance, new byte[0], io.flotilla.evm.crypto.Keccak.EMPTY);
        byte[] code = cachedCode(codeHash);
        return code == null ? Account.of(nonce, balance, new byte[0]) : new Account(nonce, balance, code, codeHash);
    }

    /**
     * Flat account records recently read or written (the encoding, or {@link #ABSENT}), at most
     * {@link #ACCOUNT_CACHE_ENTRIES}: the accounts a block touches (a token contract on every call, its senders) are
     * read by admission, execution and RPC again and again, and each miss is a RocksDB read through the memtables
     * and every level's filter. A commit writes its records through; {@link #accountGeneration} keeps a read that a
     * commit overtook from caching what it read before.
     */
    private final java.util.LinkedHashMap<ByteBuffer, byte[]> accountCache = new java.util.LinkedHashMap<>(256, 0.75f, true);
    private long accountGeneration;
    private static final int ACCOUNT_CACHE_ENTRIES = 4096;
    private static final byte[] ABSENT = new byte[0];

    private byte[] accountRecord(Address address) {
        ByteBuffer k = ByteBuffer.wrap(address.toArray());
        long generation;
        synchronized (accountCache) {
            byte[] cached = accountCache.get(k);
            if (cached != null) return cached == ABSENT ? null : cached;
            generation = accountGeneration;
        }
        byte[] v = get(key(ACCOUNT, address.toArray()));
        synchronized (accountCache) {
            if (generation == accountGeneration) cacheAccount(k, v == null ? ABSENT : v);
        }
        return v;
    }

    private void cacheAccount(ByteBuffer k, byte[] record) {
        accountCache.put(k, record);
        if (accountCache.size() > ACCOUNT_CACHE_ENTRIES) {
            java.util.Iterator<ByteBuffer> eldest = accountCache.keySet().iterator();
            eldest.next();
            eldest.remove();
        }
    }

    /** After the store's accounts changed other than by a commit's records (an install): nothing cached stays. */
    private void forgetAccounts() {
        synchronized (accountCache) {
            accountGeneration++;
            accountCache.clear();
        }
    }

    /** Recently read contract code by hash (code never changes under a hash; a contract is read on every call). */
    private final java.util.LinkedHashMap<ByteBuffer, byte[]> codeCache = new java.util.LinkedHashMap<>(64, 0.75f, true);
    private long codeCached;
    private static final long CODE_CACHE_BYTES = 2L << 20;

    private byte[] cachedCode(byte[] codeHash) {
        ByteBuffer k = ByteBuffer.wrap(codeHash);
        synchronized (codeCache) {
            byte[] c = codeCache.get(k);
            if (c != null) return c;
        }
        byte[] c = code(codeHash);
        if (c == null) return null;
        synchronized (codeCache) {
            if (codeCache.put(ByteBuffer.wrap(codeHash.clone()), c) == null) codeCached += c.length;
            var it = codeCache.entrySet().iterator();
            while (codeCached > CODE_CACHE_BYTES && it.hasNext()) {
                codeCached -= it.next().getValue().length;
                it.remove();
            }
        }
        return c;
    }

    public Word storage(Address address, Word slot) {
        byte[] v = get(concat(key(STORAGE, address.toArray()), slot.toBytes()));
        return v == null ? Word.ZERO : Word.fromBytes(v);
    }

    /** Every non-zero slot of the account in the latest state (read from disk: for clearing, not for big contracts' hot paths). */
    public Map<Word, Word> storageOf(Address address) {
        Map<Word, Word> out = new java.util.HashMap<>();
        byte[] prefix = key(STORAGE, address.toArray());
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
                out.put(Word.fromBytes(it.key(), prefix.length, 32), Word.fromBytes(it.value()));
            }
        }
        return out;
    }

    /** Every address of the latest state (a walk of the whole account table: tests and small chains only). */
    public java.util.Set<Address> addresses() {
        java.util.Set<Address> out = new java.util.HashSet<>();
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(new byte[] {ACCOUNT}); it.isValid() && it.key()[0] == ACCOUNT; it.next()) {
                out.add(Address.of(Arrays.copyOfRange(it.key(), 1, 21)));
            }
        }
        return out;
    }

    /** The root of the account's storage trie in the latest state (the empty root when it has none). */
    public byte[] storageRoot(Address address) {
        byte[] v = get(key(STORAGE_ROOT, address.toArray()));
        return v == null ? io.flotilla.evm.trie.PatriciaTrie.EMPTY_ROOT.clone() : v;
    }

    public byte[] code(byte[] codeHash) {
        return get(key(CODE, codeHash));
    }

    /** The address or slot whose keccak is {@code hash} (any key the chain's tries ever held), or null. */
    public byte[] preimage(byte[] hash) {
        return get(key(PREIMAGE, hash));
    }

    /** How many keys start with {@code prefix} (a walk: tests and measurements). */
    public long countKeys(byte prefix) {
        long n = 0;
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(new byte[] {prefix}); it.isValid() && it.key()[0] == prefix; it.next()) n++;
        }
        return n;
    }

    /** The trie nodes of this store, through the heap cache sized at open. */
    public TrieNodes nodes() {
        return nodes;
    }

    /** Adds the diff's flat records to the batch; {@code accountsWritten} receives each account's new record or ABSENT. */
    private static void writeState(WriteBatch batch, StateDiff diff, Map<ByteBuffer, byte[]> accountsWritten) throws RocksDBException {
        for (Address a : diff.storageCleared()) {
            byte[] from = key(STORAGE, a.toArray());
            byte[] to = Arrays.copyOf(from, from.length + 33);
            Arrays.fill(to, from.length, to.length, (byte) 0xFF);
            batch.deleteRange(from, to);
        }
        for (Map.Entry<Address, Map<Word, Word>> e : diff.storageWrites().entrySet()) {
            byte[] prefix = key(STORAGE, e.getKey().toArray());
            for (Map.Entry<Word, Word> slot : e.getValue().entrySet()) {
                byte[] k = concat(prefix, slot.getKey().toBytes());
                if (slot.getValue().isZero()) batch.delete(k);
                else batch.put(k, slot.getValue().toMinimalBytes());
            }
        }
        for (Map.Entry<Address, Account> e : diff.accounts().entrySet()) {
            byte[] k = key(ACCOUNT, e.getKey().toArray());
            Account acc = e.getValue();
            if (acc == null) {
                // A deleted account loses its storage, whatever the diff wrote to it (applied last, as the state does).
                byte[] from = key(STORAGE, e.getKey().toArray());
                byte[] to = Arrays.copyOf(from, from.length + 33);
                Arrays.fill(to, from.length, to.length, (byte) 0xFF);
                batch.deleteRange(from, to);
                batch.delete(k);
                accountsWritten.put(ByteBuffer.wrap(e.getKey().toArray()), ABSENT);
                continue;
            }
            byte[] codeHash = acc.code().length == 0 ? new byte[0] : acc.codeHash();
            if (codeHash.length > 0) batch.put(key(CODE, codeHash), acc.code());
            byte[] record = io.flotilla.evm.rlp.Rlp.encode(new RlpList(
                    RlpString.create(acc.nonce()), RlpString.create(acc.balance().toMinimalBytes()), RlpString.create(codeHash)));
            batch.put(k, record);
            accountsWritten.put(ByteBuffer.wrap(e.getKey().toArray()), record);
        }
    }

    private static RlpType encodeReceipt(TxReceipt r) {
        return new RlpList(
                RlpString.create(r.type()),
                RlpString.create(r.success() ? 1 : 0),
                RlpString.create(r.cumulativeGasUsed()),
                RlpString.create(r.gasUsed()),
                RlpString.create(r.effectiveGasPrice()),
                RlpString.create(r.contractAddress() == null ? new byte[0] : r.contractAddress().toArray()),
                new RlpList(r.logs().stream().map(TxReceipt::logRlp).toList()));
    }

    private static TxReceipt decodeReceipt(List<RlpType> f) {
        byte[] contract = bytes(f.get(5));
        List<Log> logs = new ArrayList<>();
        for (RlpType l : ((RlpList) f.get(6)).getValues()) {
            List<RlpType> lf = ((RlpList) l).getValues();
            List<Word> topics = ((RlpList) lf.get(1)).getValues().stream().map(t -> Word.fromBytes(bytes(t))).toList();
            logs.add(new Log(Address.of(bytes(lf.get(0))), topics, bytes(lf.get(2))));
        }
        return new TxReceipt(
                uint(f.get(0)).intValue(),
                uint(f.get(1)).signum() != 0,
                uint(f.get(2)).longValueExact(),
                uint(f.get(3)).longValueExact(),
                uint(f.get(4)),
                contract.length == 0 ? null : Address.of(contract),
                logs);
    }

    /**
     * Trie nodes by hash in this store, read through an LRU cache of at most {@code cacheBytes} of node encodings: the
     * {@link io.flotilla.evm.trie.NodeStore} that keeps a {@link io.flotilla.evm.trie.PatriciaTrie} on disk with a
     * bounded heap. Writes are write-ahead-logged, not fsynced (a block's synced batch would carry them once the chain
     * keeps its state here: the state issue's first point).
     */
    public TrieNodes trieNodes(long cacheBytes) {
        return new TrieNodes(cacheBytes);
    }

    /**
     * See {@link #trieNodes}. Thread-safe. Only the upper levels of each trie ({@link #CACHED_DEPTH}) enter the heap
     * cache: they lie on nearly every path a block touches. A deeper node is read by a block's few paths through it
     * and then rarely again, and caching those made the cache churn: in a member's small heap its entries lived a few
     * blocks, were promoted, and died in the old generation, which cost a full collection about every block at 1 M
     * accounts (docs/benchmarks.md, "State size"). Deeper nodes are left to RocksDB's block cache (off the heap) and
     * the operating system's page cache.
     */
    public final class TrieNodes implements io.flotilla.evm.trie.NodeStore {
        /** Nodes that start fewer nibbles than this below their trie's root are cached (16^4 paths above them). */
        public static final int CACHED_DEPTH = 4;
        private final long capacity;
        private long cached;
        /** Heap per cached node besides its encoding: map entry, key buffer and array, value array header. */
        private static final int ENTRY_OVERHEAD = 160;
        private final java.util.LinkedHashMap<ByteBuffer, byte[]> lru = new java.util.LinkedHashMap<>(1024, 0.75f, true);

        private TrieNodes(long capacity) {
            this.capacity = capacity;
        }

        /** A node by hash; a read that gives no depth (a walk, a snapshot request) does not enter the cache. */
        @Override
        public byte[] get(byte[] hash) {
            return get(hash, Integer.MAX_VALUE);
        }

        @Override
        public byte[] get(byte[] hash, int depth) {
            ByteBuffer k = ByteBuffer.wrap(hash.clone());
            synchronized (this) {
                byte[] v = lru.get(k);
                if (v != null) return v.clone();
            }
            byte[] v = ChainStore.this.get(key(TRIE_NODE, hash));
            if (v != null && depth < CACHED_DEPTH) remember(k, v);
            return v == null ? null : v.clone();
        }

        @Override
        public void put(byte[] hash, byte[] encoded) {
            put(hash, encoded, Integer.MAX_VALUE);
        }

        @Override
        public void put(byte[] hash, byte[] encoded, int depth) {
            try {
                db.put(logWrites, key(TRIE_NODE, hash), encoded);
            } catch (RocksDBException e) {
                throw new StoreException("trie node write failed", e);
            }
            if (depth < CACHED_DEPTH) remember(ByteBuffer.wrap(hash.clone()), encoded.clone());
        }

        /** The capacity in bytes of node encodings. */
        public long capacity() {
            return capacity;
        }

        synchronized void clear() {
            lru.clear();
            cached = 0;
        }

        synchronized void forget(ByteBuffer k) {
            byte[] old = lru.remove(k);
            if (old != null) cached -= old.length + ENTRY_OVERHEAD;
        }

        synchronized void remember(ByteBuffer k, byte[] v) {
            byte[] old = lru.put(k, v);
            cached += v.length - (old == null ? -ENTRY_OVERHEAD : old.length);
            var it = lru.entrySet().iterator();
            while (cached > capacity && it.hasNext()) {
                cached -= it.next().getValue().length + ENTRY_OVERHEAD;
                it.remove();
            }
        }

        /** Nodes the cache holds now. */
        public synchronized int cachedNodes() {
            return lru.size();
        }

        /** Heap bytes the cache holds now, encodings and per-entry overhead (at most the capacity). */
        public synchronized long cachedBytes() {
            return cached;
        }
    }

    /**
     * The staging area of a snapshot sync (docs/chain.md, "Snapshot sync"): what a joining member verified so far,
     * kept apart from the chain's own state until {@link Staging#install} swaps it in, so a restart mid-sync resumes
     * from it and the chain's head and state are never a mix of the two.
     */
    public Staging staging() {
        return new Staging();
    }

    /** See {@link #staging}. */
    public final class Staging {
        private Staging() {
        }

        /** A set of staged writes made durable together ({@link #write}). */
        public final class Batch implements AutoCloseable {
            private final WriteBatch batch = new WriteBatch();

            public Batch account(Address address, long nonce, Word balance, byte[] codeHash) {
                return account(address, io.flotilla.evm.crypto.Keccak.hash(address.toArray()), nonce, balance, codeHash);
            }

            /** As {@link #account(Address, long, Word, byte[])}, with keccak(address) already computed. */
            public Batch account(Address address, byte[] keyHash, long nonce, Word balance, byte[] codeHash) {
                byte[] a = address.toArray();
                put(key(PREIMAGE, keyHash), a);
                return put(key(ACCOUNT, address.toArray()), io.flotilla.evm.rlp.Rlp.encode(new RlpList(RlpString.create(nonce),
                        RlpString.create(balance.toMinimalBytes()), RlpString.create(codeHash))));
            }

            public Batch slot(Address address, Word slot, Word value) {
                return slot(address, slot, io.flotilla.evm.crypto.Keccak.hash(slot.toBytes()), value);
            }

            /** As {@link #slot(Address, Word, Word)}, with keccak(slot) already computed. */
            public Batch slot(Address address, Word slot, byte[] keyHash, Word value) {
                if (value.isZero()) return this;
                byte[] k = slot.toBytes();
                put(key(PREIMAGE, keyHash), k);
                return put(concat(key(STORAGE, address.toArray()), k), value.toMinimalBytes());
            }

            /** The root of an account's storage trie (what its account leaf names). */
            public Batch storageRoot(Address address, byte[] root) {
                return Arrays.equals(root, io.flotilla.evm.trie.PatriciaTrie.EMPTY_ROOT) ? this : put(key(STORAGE_ROOT, address.toArray()), root);
            }

            /** A verified trie node at one position (a node at two positions is staged twice: it is counted per position). */
            public Batch node(byte[] encoding) {
                return node(io.flotilla.evm.crypto.Keccak.hash(encoding), encoding);
            }

            /** As {@link #node(byte[])}, for a node already checked against its hash. */
            public Batch node(byte[] hash, byte[] encoding) {
                byte[] h = hash;
                put(key(TRIE_NODE, h), encoding);
                try {
                    batch.merge(key(STAGING, key(NODE_COUNT, h)), PLUS_ONE);
                } catch (RocksDBException e) {
                    throw new StoreException("cannot stage", e);
                }
                return this;
            }

            public Batch code(byte[] codeHash, byte[] code) {
                return put(key(CODE, codeHash), code);
            }

            /** A block of the chain (header, hash index and body; no receipts: it is not re-executed here). */
            public Batch block(Block block) {
                byte[] num = longBytes(block.number());
                put(key(HEADER, num), block.header().encode());
                put(key(NUMBER_BY_HASH, block.hash()), num);
                List<RlpType> body = new ArrayList<>();
                for (SignedTransaction tx : block.transactions()) {
                    body.add(new RlpList(RlpString.create(tx.raw()), RlpString.create(tx.sender().toArray())));
                }
                return put(key(BODY, num), io.flotilla.evm.rlp.Rlp.encode(new RlpList(body)));
            }

            /** A progress record of the sync (not installed). */
            public Batch record(byte[] name, byte[] value) {
                return put(key(META_STAGED, name), value);
            }

            public Batch forget(byte[] name) {
                try {
                    batch.delete(key(STAGING, key(META_STAGED, name)));
                } catch (RocksDBException e) {
                    throw new StoreException("cannot stage", e);
                }
                return this;
            }

            private Batch put(byte[] k, byte[] v) {
                try {
                    batch.put(key(STAGING, k), v);
                } catch (RocksDBException e) {
                    throw new StoreException("cannot stage", e);
                }
                return this;
            }

            /**
             * Writes the batch, write-ahead-logged but not synced: after a crash the staging holds all of it or none,
             * and a crash of the machine may lose the last batches, whose nodes are then fetched again (the progress
             * records are in the same batches). The install is synced.
             */
            public void write() {
                try {
                    db.write(logWrites, batch);
                } catch (RocksDBException e) {
                    throw new StoreException("cannot write snapshot progress", e);
                }
            }

            @Override
            public void close() {
                batch.close();
            }
        }

        public Batch batch() {
            return new Batch();
        }

        public Optional<byte[]> record(byte[] name) {
            return Optional.ofNullable(get(key(STAGING, key(META_STAGED, name))));
        }

        /** Every progress record whose name starts with {@code prefix}: name (without the prefix) and value. */
        public void forEachRecord(byte[] prefix, java.util.function.BiConsumer<byte[], byte[]> each) {
            byte[] from = key(STAGING, key(META_STAGED, prefix));
            try (RocksIterator it = db.newIterator()) {
                for (it.seek(from); it.isValid() && startsWith(it.key(), from); it.next()) {
                    each.accept(Arrays.copyOfRange(it.key(), from.length, it.key().length), it.value());
                }
            }
        }

        /** A staged block's header. */
        public Optional<BlockHeader> header(long number) {
            byte[] v = get(key(STAGING, key(HEADER, longBytes(number))));
            return v == null ? Optional.empty() : Optional.of(BlockHeader.decode(v));
        }

        /** Whether code with this hash is staged or already in the store. */
        public boolean hasCode(byte[] codeHash) {
            return get(key(STAGING, key(CODE, codeHash))) != null || get(key(CODE, codeHash)) != null;
        }

        /** Whether a node with this hash is staged. */
        public boolean hasNode(byte[] hash) {
            return get(key(STAGING, key(TRIE_NODE, hash))) != null;
        }

        /** The staged world state (to check its root before installing it). */
        public void loadState(WorldState into) {
            ChainStore.this.loadState(into, new byte[] {STAGING});
        }

        /** Forgets everything staged. */
        public void clear() {
            try {
                db.deleteRange(syncWrites, new byte[] {STAGING}, new byte[] {STAGING + 1});
            } catch (RocksDBException e) {
                throw new StoreException("cannot clear the snapshot staging", e);
            }
        }

        /**
         * Makes the staged state the chain's: its world state is replaced by the staged one, the staged blocks are
         * added, the head moves to {@code head} (a staged block) and the staging is emptied. Blocks and receipts below
         * that the store held stay; the ones it lacks stay absent.
         * <p>The staged records are written under their final keys into table files that the store ingests whole,
         * not through its write-ahead log and memtables (a million-account state is about ten million records).
         * That takes several steps, so a synced marker comes first: once it is written the install is completed,
         * by {@link #open} after a crash, and until it is the previous state is untouched.
         */
        public void install(long head) {
            seal(head);
            completeInstall(head);
        }

        /**
         * The first step of {@link #install}: from now on the staged state with {@code head} is the one this store
         * installs, at the latest when it is next opened (after a crash mid-install).
         */
        public void seal(long head) {
            if (get(key(STAGING, key(HEADER, longBytes(head)))) == null) throw new IllegalStateException("block " + head + " is not staged");
            try {
                db.put(syncWrites, INSTALLING_KEY, longBytes(head));
            } catch (RocksDBException e) {
                throw new StoreException("cannot install the snapshot of block " + head, e);
            }
        }
    }

    /**
     * The steps of {@link Staging#install} after its marker, each safe to repeat: the previous state goes (with
     * whatever part of an interrupted ingestion landed), the staged records are ingested under their final keys,
     * then one synced batch moves the head, empties the staging and removes the marker.
     */
    private void completeInstall(long head) {
        Path files = dir.resolve("install");
        try {
            try (WriteBatch batch = new WriteBatch()) {
                for (byte p : STATE_PREFIXES) batch.deleteRange(new byte[] {p}, new byte[] {(byte) (p + 1)});
                db.write(syncWrites, batch);
            }
            deleteTree(files);
            Files.createDirectories(files);
            List<String> written = writeStagedTables(files);
            if (!written.isEmpty()) {
                try (org.rocksdb.IngestExternalFileOptions ingest = new org.rocksdb.IngestExternalFileOptions()
                        .setMoveFiles(true).setAllowBlockingFlush(true)) {
                    db.ingestExternalFile(written, ingest);
                }
            }
            try (WriteBatch batch = new WriteBatch()) {
                batch.put(OLDEST_KEY, longBytes(head));
                batch.put(HEAD_KEY, longBytes(head));
                batch.deleteRange(new byte[] {STAGING}, new byte[] {STAGING + 1});
                batch.delete(INSTALLING_KEY);
                db.write(syncWrites, batch);
            }
            deleteTree(files);
        } catch (RocksDBException | java.io.IOException e) {
            throw new StoreException("cannot install the snapshot of block " + head, e);
        } finally {
            forgetAccounts(); // reads during the install may have cached a record of either state
        }
        nodes.clear();
    }

    /**
     * Writes every staged record but the sync's progress records under its final key (the staging prefix dropped,
     * which keeps their order) into table files; returns their paths. The staging is cut into ranges (a quarter of
     * the key space under each record type: keys are hashes and addresses, spread evenly) written in parallel, one
     * file or more per range, so no two files overlap.
     */
    private List<String> writeStagedTables(Path files) throws RocksDBException {
        List<byte[][]> ranges = stagedRanges();
        List<String> written = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        int workers = Math.max(1, Math.min(ranges.size(), Math.min(4, Runtime.getRuntime().availableProcessors())));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(workers);
        try {
            List<java.util.concurrent.Future<Void>> done = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                done.add(pool.submit(() -> {
                    for (int r; (r = next.getAndIncrement()) < ranges.size(); ) {
                        writeStagedRange(ranges.get(r)[0], ranges.get(r)[1], files, "staged-" + r, written);
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<Void> f : done) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof RocksDBException r) throw r;
                    throw new StoreException("cannot write the staged state", e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StoreException("interrupted writing the staged state", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return written;
    }

    /** The ranges of staged keys to install: four per record type present, progress records left out. */
    private List<byte[][]> stagedRanges() {
        List<byte[][]> ranges = new ArrayList<>();
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(new byte[] {STAGING}); it.isValid(); ) {
                byte[] k = it.key();
                if (k[0] != STAGING) break;
                if (k.length < 2) {
                    it.seek(new byte[] {STAGING, 0});
                    continue;
                }
                int type = k[1] & 0xff;
                byte[] end = type == 0xff ? new byte[] {STAGING + 1} : new byte[] {STAGING, (byte) (type + 1)};
                if (type != META_STAGED) {
                    byte[] from = {STAGING, (byte) type};
                    for (int q = 1; q <= 4; q++) {
                        byte[] to = q == 4 ? end : new byte[] {STAGING, (byte) type, (byte) (q * 0x40)};
                        ranges.add(new byte[][] {from, to});
                        from = to;
                    }
                }
                it.seek(end);
            }
        }
        return ranges;
    }

    /** Writes the staged records in [from, to) into files named {@code name}-N.sst, of about {@link #INSTALL_FILE_BYTES}. */
    private void writeStagedRange(byte[] from, byte[] to, Path files, String name, List<String> written) throws RocksDBException {
        try (org.rocksdb.Slice upper = new org.rocksdb.Slice(to);
             org.rocksdb.ReadOptions read = new org.rocksdb.ReadOptions().setFillCache(false).setReadaheadSize(4L << 20)
                     .setIterateUpperBound(upper);
             org.rocksdb.EnvOptions env = new org.rocksdb.EnvOptions();
             RocksIterator it = db.newIterator(read)) {
            org.rocksdb.SstFileWriter writer = null;
            long bytes = 0;
            int count = 0;
            // Direct buffers: a record crosses JNI without a Java array allocated for its key and value.
            ByteBuffer key = ByteBuffer.allocateDirect(1024);
            ByteBuffer value = ByteBuffer.allocateDirect(64 << 10);
            try {
                for (it.seek(from); it.isValid(); it.next()) {
                    key.clear();
                    int keyLength = it.key(key);
                    if (keyLength > key.capacity()) {
                        key = ByteBuffer.allocateDirect(keyLength * 2);
                        keyLength = it.key(key);
                    }
                    if (writer == null || bytes >= INSTALL_FILE_BYTES) {
                        if (writer != null) {
                            writer.finish();
                            writer.close();
                        }
                        writer = new org.rocksdb.SstFileWriter(env, options);
                        String path = files.resolve(name + "-" + count++ + ".sst").toString();
                        writer.open(path);
                        written.add(path);
                        bytes = 0;
                    }
                    value.clear();
                    int valueLength = it.value(value);
                    if (valueLength > value.capacity()) {
                        value = ByteBuffer.allocateDirect(valueLength * 2);
                        valueLength = it.value(value);
                    }
                    key.position(1); // the final key: the staging prefix dropped
                    writer.put(key, value);
                    bytes += keyLength + valueLength;
                }
                if (writer != null) writer.finish();
            } finally {
                if (writer != null) writer.close();
            }
        }
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        if (!Files.exists(root)) return;
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    private static final byte META_STAGED = 'M';

    private byte[] get(byte[] key) {
        try {
            return db.get(key);
        } catch (RocksDBException e) {
            throw new StoreException("read failed", e);
        }
    }

    private static List<RlpType> list(byte[] encoded) {
        return ((RlpList) RlpDecoder.decode(encoded).getValues().get(0)).getValues();
    }

    private static byte[] bytes(RlpType t) {
        return ((RlpString) t).getBytes();
    }

    private static java.math.BigInteger uint(RlpType t) {
        return ((RlpString) t).asPositiveBigInteger();
    }

    private static byte[] key(byte prefix, byte[] rest) {
        byte[] k = new byte[rest.length + 1];
        k[0] = prefix;
        System.arraycopy(rest, 0, k, 1, rest.length);
        return k;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    /**
     * Compacts the whole store now (RocksDB's compactRange), where RocksDB would otherwise spread the work over the
     * writes that follow: after a bulk write such as an import, so that the blocks after it do not pay for it.
     */
    public void compact() {
        try {
            db.compactRange();
        } catch (RocksDBException e) {
            throw new StoreException("compaction failed", e);
        }
    }

    @Override
    public void close() {
        syncWrites.close();
        logWrites.close();
        db.close();
        options.close();
        cache.close();
    }

    /** Unrecoverable storage failure; the node cannot continue safely. */
    public static final class StoreException extends RuntimeException {
        public StoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
