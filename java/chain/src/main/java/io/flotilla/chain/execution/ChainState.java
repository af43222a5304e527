package io.flotilla.chain.execution;

import io.flotilla.chain.storage.Block;
import io.flotilla.chain.storage.BlockHeader;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.storage.TxLocation;
import io.flotilla.chain.storage.TxReceipt;
import io.flotilla.chain.tx.TxDecoder;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.InMemoryWorldState;
import io.flotilla.evm.state.StateRoot;
import io.flotilla.evm.trie.MerklePatriciaTrie;
import io.flotilla.evm.trie.PatriciaTrie;
import io.flotilla.evm.tx.Receipt;
import io.flotilla.evm.tx.Transaction;
import io.flotilla.evm.tx.TransactionProcessor;
import io.flotilla.evm.tx.TxExecution;
import io.flotilla.evm.tx.TxOutcome;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import io.flotilla.evm.vm.BlockEnv;
import io.flotilla.evm.vm.HaltReason;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The committed chain: head, history and latest world state, plus the only ways to extend it —
 * {@link #commit(ExecutedBlock)} for a block this node built and {@link #apply(Block)} for a block decided
 * elsewhere (the BFT engine's entry point). Whoever decides the next block stays outside this class.
 * <p>The state lives in the store, not in the heap: flat records (account by address, slot by account and slot) for
 * the latest state's reads, and the tries' nodes by hash for roots, proofs and older states. Opening reads nothing of
 * it. Each block writes its flat changes, its new trie nodes and a journal of the nodes it replaced in its one synced
 * batch; nodes are released once no state of the history window ({@link StateOptions#historyBlocks}) or
 * {@link #pin pinned} state needs them (an {@link StateOptions#archive archive} keeps all). Readers take a read lock,
 * commits a write lock.
 */
public final class ChainState {
    private final ChainStore store;
    private final ChainConfig config;
    private final TxDecoder decoder;
    private final BlockExecutor executor;
    private final StateOptions options;
    /** The latest state's flat records in the store (read under {@link #lock}). */
    private final FlatState state;
    /** States in use beyond the window (reads in progress, snapshots served): never pruned while pinned. */
    private final StatePins pins = new StatePins();
    /** The oldest block whose state the store still holds (guarded by {@link #lock}). */
    private volatile long oldest;
    /** Wall-time limit of one eth_call or eth_estimateGas (geth's default RPC EVM timeout). */
    public static final java.time.Duration CALL_TIMEOUT = java.time.Duration.ofSeconds(5);

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final List<Consumer<ExecutedBlock>> listeners = new CopyOnWriteArrayList<>();
    private final BlockHeader genesisHeader;
    private volatile BlockHeader head;
    /** The tries of the latest state on disk, updated per block along changed paths. */
    private StateTries tries;

    /**
     * How the state is kept: {@code historyBlocks} blocks back (at least 1; states of blocks head - historyBlocks to
     * head are readable), or every state ({@code archive}).
     */
    public record StateOptions(int historyBlocks, boolean archive) {
        public static final StateOptions DEFAULT = new StateOptions(128, false);

        public StateOptions {
            if (historyBlocks < 1) throw new IllegalArgumentException("historyBlocks must be at least 1, not " + historyBlocks);
        }
    }

    private ChainState(ChainStore store, ChainConfig config, TxDecoder decoder, BlockHeader genesisHeader, StateOptions options) {
        this.store = store;
        this.options = options;
        this.state = new FlatState(store);
        this.config = config;
        this.decoder = decoder;
        this.executor = new BlockExecutor(config);
        this.genesisHeader = genesisHeader;
    }

    /**
     * Opens the chain: writes block 0 from {@code genesis} into an empty store, or resumes from the last committed
     * block of an existing one (refusing a store that was created from a different genesis).
     */
    public static ChainState open(ChainStore store, Genesis genesis) {
        return open(store, genesis, StateOptions.DEFAULT);
    }

    /** As {@link #open(ChainStore, Genesis)}, keeping the state as {@code options} say. Reads no state. */
    public static ChainState open(ChainStore store, Genesis genesis, StateOptions options) {
        ExecutedBlock g = genesisBlock(genesis);
        ChainState chain = new ChainState(store, genesis.config(), new TxDecoder(genesis.config().chainId(), true), g.block().header(), options);
        if (store.headNumber().isEmpty()) {
            StateTries empty = StateTries.open(PatriciaTrie.EMPTY_ROOT, store.nodes(), store::storageRoot);
            OverlayWorldState after = new OverlayWorldState(chain.state);
            OverlayWorldState.applyTo(after, g.stateDiff());
            StateTries.Update u = empty.update(after, g.stateDiff());
            store.commit(g.block(), List.of(), g.stateDiff(),
                    new ChainStore.StateWrite(u.newNodes(), u.released(), u.storageRoots(), 0, !options.archive()));
        } else {
            byte[] stored = store.header(0).orElseThrow().hash();
            if (!Arrays.equals(stored, g.block().hash())) {
                throw new IllegalStateException("store was created from a different genesis");
            }
        }
        chain.head = store.header(store.headNumber().getAsLong()).orElseThrow();
        byte[] root = chain.head.stateRoot();
        if (!Arrays.equals(root, PatriciaTrie.EMPTY_ROOT) && store.nodes().get(root) == null) migrate(store, chain.head);
        chain.tries = StateTries.open(root, store.nodes(), store::storageRoot);
        chain.oldest = store.oldestState();
        return chain;
    }

    /**
     * A store written before the state moved to disk holds the state flat only: its tries are built once (the state
     * loaded into the heap this one time), checked against the head's root, and written; history starts at the head.
     */
    private static void migrate(ChainStore store, BlockHeader head) {
        InMemoryWorldState loaded = new InMemoryWorldState();
        store.loadState(loaded);
        Map<Address, Account> accounts = new java.util.HashMap<>();
        Map<Address, Map<Word, Word>> slots = new java.util.HashMap<>();
        for (Address a : loaded.addresses()) {
            accounts.put(a, loaded.account(a));
            Map<Word, Word> st = loaded.storageOf(a);
            if (!st.isEmpty()) slots.put(a, st);
        }
        io.flotilla.chain.storage.StateDiff all = new io.flotilla.chain.storage.StateDiff(accounts, java.util.Set.of(), slots);
        StateTries.Update u = StateTries.open(PatriciaTrie.EMPTY_ROOT, store.nodes(), a -> PatriciaTrie.EMPTY_ROOT.clone()).update(loaded, all);
        if (!Arrays.equals(u.root(), head.stateRoot())) {
            throw new IllegalStateException("the stored state does not match the state root of block " + head.number());
        }
        store.writeTries(head.number(), all, new ChainStore.StateWrite(u.newNodes(), List.of(), u.storageRoots(), head.number(), false));
    }

    /** Block 0: the allocation applied to an empty state, no transactions. */
    public static ExecutedBlock genesisBlock(Genesis genesis) {
        OverlayWorldState s = new OverlayWorldState(new InMemoryWorldState());
        for (Map.Entry<Address, Genesis.GenesisAccount> e : genesis.alloc().entrySet()) {
            Genesis.GenesisAccount a = e.getValue();
            s.putAccount(e.getKey(), Account.of(a.nonce(), Word.fromBigInteger(a.balance()), a.code()));
            a.storage().forEach((k, v) -> s.putStorage(e.getKey(), k, v));
        }
        ChainConfig c = genesis.config();
        BlockHeader header = new BlockHeader(new byte[32], 0, genesis.timestamp(), StateRoot.compute(s),
                MerklePatriciaTrie.EMPTY_ROOT.clone(), MerklePatriciaTrie.EMPTY_ROOT.clone(), new byte[256],
                c.gasLimit(), 0, c.baseFee(), genesis.proposer(), genesis.extraData(), new byte[0]);
        return new ExecutedBlock(new Block(header, List.of()), List.of(), s.diff());
    }

    public ChainConfig config() {
        return config;
    }

    public TxDecoder decoder() {
        return decoder;
    }

    public BlockExecutor executor() {
        return executor;
    }

    public BlockHeader head() {
        return head;
    }

    public BlockHeader genesis() {
        return genesisHeader;
    }

    /** The tries of the latest state (read them under {@link #read} for a view consistent with the state). */
    public StateTries stateTries() {
        return tries;
    }

    /** Called after each commit (on the committing thread), e.g. to prune the mempool or wake RPC waiters. */
    public void onCommit(Consumer<ExecutedBlock> listener) {
        listeners.add(listener);
    }

    // ---- history ----

    public Optional<BlockHeader> header(long number) {
        return number > head.number() ? Optional.empty() : store.header(number);
    }

    public Optional<BlockHeader> header(byte[] hash) {
        var n = store.numberOf(hash);
        return n.isPresent() ? header(n.getAsLong()) : Optional.empty();
    }

    public Optional<Block> block(long number) {
        return number > head.number() ? Optional.empty() : store.block(number, decoder);
    }

    public List<TxReceipt> receipts(long number) {
        return store.receipts(number);
    }

    public Optional<TxLocation> txLocation(byte[] txHash) {
        return store.txLocation(txHash);
    }

    // ---- latest state ----

    /** Runs {@code reader} against the latest committed state under the read lock; it must not keep the state. */
    public <T> T read(Function<io.flotilla.evm.state.WorldState, T> reader) {
        lock.readLock().lock();
        try {
            return reader.apply(state);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The account in the latest state; {@link Account#EMPTY} when it does not exist. */
    public Account account(Address address) {
        Account a = read(s -> s.account(address));
        return a == null ? Account.EMPTY : a;
    }

    public Word storage(Address address, Word key) {
        return read(s -> s.storage(address, key));
    }

    // ---- extending the chain ----

    /** Starts building the child of the current head. The caller should hold no lock; see {@link #commit}. */
    public BlockExecutor.Session beginBlock(long timestamp, Address proposer, byte[] extraData) {
        BlockHeader parent;
        lock.readLock().lock();
        try {
            parent = head;
        } finally {
            lock.readLock().unlock();
        }
        // The session reads the live state and tries: only commit() changes them, and commit() refuses a stale parent.
        LockedView view = new LockedView();
        return executor.begin(parent, view, Math.max(timestamp, parent.timestamp()), proposer, extraData, this::blockHash,
                tries);
    }

    /** Persists a block built on the current head (atomic, synced), then updates memory and notifies listeners. */
    public void commit(ExecutedBlock executed) {
        BlockHeader h = executed.block().header();
        lock.writeLock().lock();
        try {
            if (h.number() != head.number() + 1 || !Arrays.equals(h.parentHash(), head.hash())) {
                throw new IllegalStateException("block " + h.number() + " is not a child of head " + head.number());
            }
            StateTries.Update update = executed.tries();
            if (update == null) {
                // Put together elsewhere: derive the tries from the diff before anything is written.
                OverlayWorldState after = new OverlayWorldState(state);
                OverlayWorldState.applyTo(after, executed.stateDiff());
                update = tries.update(after, executed.stateDiff());
            }
            if (!Arrays.equals(update.root(), h.stateRoot())) {
                throw new IllegalStateException("block " + h.number() + " state root does not match its state changes");
            }
            // The oldest state kept from now on: the window's, or an older pinned one (a read or a snapshot served).
            long keep = options.archive() ? oldest : Math.max(oldest, Math.min(h.number() - options.historyBlocks(), pins.lowest(Long.MAX_VALUE)));
            store.commit(executed.block(), executed.receipts(), executed.stateDiff(), new ChainStore.StateWrite(
                    update.newNodes(), update.released(), update.storageRoots(), keep, !options.archive()));
            tries.apply(update);
            oldest = keep;
            head = h;
        } finally {
            lock.writeLock().unlock();
        }
        for (Consumer<ExecutedBlock> l : listeners) l.accept(executed);
    }

    /**
     * Re-executes a proposed block on the head without committing it: what a validator does before voting.
     * Commit the result once the block is decided (possibly {@link ExecutedBlock#withCommitCertificate with} its certificate).
     */
    public ExecutedBlock verify(Block block) throws InvalidBlockException {
        lock.readLock().lock();
        try {
            return executor.verify(head, state, block, this::blockHash, tries);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Makes the state a snapshot sync staged in the store ({@link ChainStore#staging}) the chain's: the staged tries must
     * hold the state root of staged block {@code height} (else nothing changes and this throws), then the store swaps
     * the staged flat records, nodes and counts in atomically (nothing is loaded into the heap) and the head becomes
     * that block. Earlier states go (they are not this node's any more). Listeners are not called: no block was executed.
     */
    public void installStaged(long height) {
        ChainStore.Staging staging = store.staging();
        lock.writeLock().lock();
        try {
            if (height <= head.number()) throw new IllegalStateException("snapshot " + height + " is not above head " + head.number());
            BlockHeader h = staging.header(height).orElseThrow(() -> new IllegalStateException("block " + height + " is not staged"));
            // Every staged node was checked against the hash its parent names, from the root down: the root's presence
            // means the staged tries are the block's (the flat records were staged from the same verified leaves).
            if (!Arrays.equals(h.stateRoot(), PatriciaTrie.EMPTY_ROOT) && !staging.hasNode(h.stateRoot())) {
                throw new IllegalStateException("the staged state does not match the state root of block " + height);
            }
            staging.install(height);
            tries = StateTries.open(h.stateRoot(), store.nodes(), store::storageRoot);
            oldest = height;
            head = h;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The store's staging area for a snapshot sync (installed by {@link #installStaged}). */
    public ChainStore.Staging snapshotStaging() {
        return store.staging();
    }

    /** Durably stores a small record beside the chain (the consensus safety record). */
    public void saveRecord(String name, byte[] value) {
        store.putMeta(name, value);
    }

    public Optional<byte[]> record(String name) {
        return store.meta(name);
    }

    /** Validates a block decided elsewhere by re-executing it on the head, then commits it (e.g. when catching up). */
    public ExecutedBlock apply(Block block) throws InvalidBlockException {
        ExecutedBlock executed = verify(block);
        commit(executed);
        return executed;
    }

    Word blockHash(long number) {
        if (number < 0 || number >= head.number() + 1) return Word.ZERO;
        return store.header(number).map(h -> Word.fromBytes(h.hash())).orElse(Word.ZERO);
    }

    // ---- simulation ----

    /**
     * Executes a call on a throwaway overlay of the latest state, in the context of the next block. The base fee
     * is treated as zero (as geth does for calls) so a gas-price-less call from an unfunded address works.
     * <p>The call reads the state one access at a time under the read lock, so however long it runs it never holds
     * up a commit; a call that takes longer than {@link #CALL_TIMEOUT} is aborted ({@link CallOutcome.TimedOut}).
     */
    public CallOutcome call(CallRequest req) {
        long gas = req.gas() == null ? config.gasLimit() : Math.min(req.gas(), config.gasLimit());
        LockedView view = new LockedView();
        BlockHeader h = head;
        return CallDeadline.run(CALL_TIMEOUT, () -> simulate(view, h, req, gas), CallOutcome.TimedOut::new);
    }

    /**
     * As {@link #call(CallRequest)}, on the state after block {@code number} (the head or one of the recent blocks
     * whose state is kept), in the context of the block after it. Empty when that state is not kept; throws
     * {@link StatePruned} when it left the window while the call ran.
     */
    public Optional<CallOutcome> call(CallRequest req, long number) {
        Optional<StatePins.Pin> pin = pin(number);
        if (pin.isEmpty()) return Optional.empty();
        try (StatePins.Pin p = pin.get()) {
            Optional<HistoricalView> view = stateAfter(number);
            Optional<BlockHeader> h = header(number);
            if (view.isEmpty() || h.isEmpty()) return Optional.empty();
            long gas = req.gas() == null ? config.gasLimit() : Math.min(req.gas(), config.gasLimit());
            CallOutcome out = CallDeadline.run(CALL_TIMEOUT, () -> simulate(view.get(), h.get(), req, gas), CallOutcome.TimedOut::new);
            if (view.get().lost()) throw new StatePruned(number);
            return Optional.of(out);
        }
    }

    private CallOutcome simulate(io.flotilla.evm.state.WorldState s, BlockHeader h, CallRequest req, long gas) {
        OverlayWorldState overlay = new OverlayWorldState(s);
        Account from = overlay.account(req.from());
        long nonce = from == null ? 0 : from.nonce();
        BlockEnv env = executor.blockEnv(h.number() + 1, h.timestamp(), h.proposer(), Word.ZERO, this::blockHash);
        Transaction tx = new Transaction(0, req.from(), nonce, BigInteger.valueOf(gas), req.gasPrice(), null, null,
                req.to(), req.value(), req.data(), List.of(), null, List.of());
        TxExecution ex = new TransactionProcessor().processWithOutput(overlay, env, tx);
        if (ex.outcome() instanceof TxOutcome.Rejected r) return new CallOutcome.Invalid(r.reason(), r.detail());
        Receipt receipt = ((TxOutcome.Included) ex.outcome()).receipt();
        if (receipt.success()) return new CallOutcome.Success(ex.output(), receipt.gasUsed());
        if (ex.halt() == HaltReason.REVERTED) return new CallOutcome.Reverted(ex.output(), receipt.gasUsed());
        return new CallOutcome.Halted(ex.halt(), receipt.gasUsed());
    }

    /**
     * The smallest gas limit with which the call succeeds, by binary search (gas used is not enough: the 63/64
     * rule and refunds make the needed limit larger). Returns the failing outcome when even the cap fails. The
     * whole search shares one {@link #CALL_TIMEOUT}.
     */
    public GasEstimate estimateGas(CallRequest req) {
        return estimate(new LockedView(), head, req);
    }

    /**
     * As {@link #estimateGas(CallRequest)}, on the state after block {@code number} (the head or a block of the kept
     * history). Empty when that state is not kept; throws {@link StatePruned} when it left the window meanwhile.
     */
    public Optional<GasEstimate> estimateGas(CallRequest req, long number) {
        Optional<StatePins.Pin> pin = pin(number);
        if (pin.isEmpty()) return Optional.empty();
        try (StatePins.Pin p = pin.get()) {
            Optional<HistoricalView> view = stateAfter(number);
            Optional<BlockHeader> h = header(number);
            if (view.isEmpty() || h.isEmpty()) return Optional.empty();
            GasEstimate est = estimate(view.get(), h.get(), req);
            if (view.get().lost()) throw new StatePruned(number);
            return Optional.of(est);
        }
    }

    private GasEstimate estimate(io.flotilla.evm.state.WorldState s, BlockHeader h, CallRequest req) {
        long cap = req.gas() == null ? config.gasLimit() : Math.min(req.gas(), config.gasLimit());
        return CallDeadline.run(CALL_TIMEOUT, () -> {
            CallOutcome atCap = simulate(s, h, req, cap);
            if (!(atCap instanceof CallOutcome.Success)) return new GasEstimate(-1, atCap);
            long lo = atCap.gasUsed() - 1; // fails (or is below intrinsic gas)
            long hi = cap;                 // succeeds
            // Most calls need little more than they use: try that first to skip most of the search.
            long guess = Math.min(hi, atCap.gasUsed() * 64 / 63 + 3000);
            if (guess < hi && simulate(s, h, req, guess) instanceof CallOutcome.Success) hi = guess;
            while (hi - lo > 1) {
                long mid = lo + (hi - lo) / 2;
                if (simulate(s, h, req, mid) instanceof CallOutcome.Success) hi = mid;
                else lo = mid;
            }
            return new GasEstimate(hi, atCap);
        }, () -> new GasEstimate(-1, new CallOutcome.TimedOut()));
    }

    /** {@code gas} is -1 when the call fails at the cap; {@code outcome} then says why. */
    public record GasEstimate(long gas, CallOutcome outcome) {
    }

    // ---- recent history (tracing) ----

    /** A read of a recent block's state whose undo records were dropped meanwhile (the block fell out of the window). */
    public static final class StatePruned extends RuntimeException {
        StatePruned(long number) {
            super("the state after block " + number + " is no longer kept", null, false, false);
        }
    }

    /** How many recent blocks' states are kept by default (geth's default reexec window for tracing is 128 too). */
    public static final int HISTORY_BLOCKS = StateOptions.DEFAULT.historyBlocks();

    /** The state after block {@code number} (read-only), if it is the head or within the kept history; else empty. */
    public Optional<io.flotilla.evm.state.WorldState> stateAt(long number) {
        return stateAfter(number).map(v -> v);
    }

    /** The oldest block that can be re-executed (its parent's state is kept); the head's successor when none. */
    public long oldestTraceable() {
        lock.readLock().lock();
        try {
            return Math.min(head.number() + 1, Math.max(1, oldest + 1));
        } finally {
            lock.readLock().unlock();
        }
    }

    /** How many blocks back the state is kept (the configured window; an archive keeps more). */
    public int historyBlocks() {
        return options.historyBlocks();
    }

    /** The oldest block whose state is kept now. */
    public long oldestState() {
        return oldest;
    }

    /** Whether the state after block {@code target} is kept (call under the lock). */
    private boolean covers(long target) {
        return target <= head.number() && target >= oldest;
    }

    /**
     * Keeps the state after block {@code number} from being pruned until the pin is closed (whatever the window does
     * meanwhile): what a read in progress or a snapshot being served holds. Empty when that state is not kept now.
     */
    public Optional<StatePins.Pin> pin(long number) {
        lock.readLock().lock();
        try {
            return covers(number) ? Optional.of(pins.pin(number)) : Optional.empty();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The store's trie nodes (read through its bounded cache). */
    public io.flotilla.evm.trie.NodeStore trieNodes() {
        return store.nodes();
    }

    /** The address or slot whose keccak is {@code hash}, or null (the store's preimage records). */
    public byte[] preimage(byte[] hash) {
        return store.preimage(hash);
    }

    /** Code by hash, or null. */
    public byte[] code(byte[] codeHash) {
        return store.code(codeHash);
    }

    /** One storage slot of an {@link AccountProof}: its value (zero when absent) and the storage-trie nodes proving it. */
    public record SlotProof(Word key, Word value, List<byte[]> proof) {
    }

    /**
     * EIP-1186's answer: the account's fields after a block (zero nonce and balance, the empty code hash and storage
     * root when it does not exist), the account-trie nodes proving them against the block's state root (or proving
     * absence), and the requested slots with their storage-trie proofs.
     */
    public record AccountProof(Address address, long nonce, Word balance, byte[] codeHash, byte[] storageHash,
                               List<byte[]> accountProof, List<SlotProof> storage) {
    }

    /**
     * Proofs of {@code address} and its slots {@code keys} in the state after block {@code number} (the head or a
     * block of the kept history), from that block's tries in the store (its state root; the state is pinned while the
     * proof is read). Empty when that state is not kept.
     */
    public Optional<AccountProof> proof(long number, Address address, List<Word> keys) {
        if (number >= head.number()) return proofAfter(number, address, keys);
        // Rebuilding an older block's tries costs up to the whole window's changes: one at a time per node, others
        // refused at once (a flood costs one core at most, the other stays with consensus).
        if (!historicalProofs.tryAcquire()) throw new ProofBusy();
        try {
            return proofAfter(number, address, keys);
        } finally {
            historicalProofs.release();
        }
    }

    /** Permits for rebuilding the tries of an older block (one at a time). */
    private final java.util.concurrent.Semaphore historicalProofs = new java.util.concurrent.Semaphore(1);

    /** Holds the permit of historical proofs, as a proof in progress would (for tests). */
    java.util.concurrent.Semaphore historicalProofPermits() {
        return historicalProofs;
    }

    /** A proof at an older block asked for while another one is being rebuilt. */
    public static final class ProofBusy extends RuntimeException {
        ProofBusy() {
            super("too many historical proofs running (this node rebuilds one older block's tries at a time); retry later", null, false, false);
        }
    }

    private Optional<AccountProof> proofAfter(long number, Address address, List<Word> keys) {
        Optional<StatePins.Pin> pin = pin(number);
        if (pin.isEmpty()) return Optional.empty();
        try (StatePins.Pin p = pin.get()) {
            BlockHeader target = store.header(number).orElseThrow();
            // The tries of that block are its root in the store: the nodes of every kept state stay until it leaves.
            PatriciaTrie accounts = PatriciaTrie.open(target.stateRoot(), store.nodes());
            byte[] leaf = accounts.get(StateRoot.accountKey(address));
            long nonce = 0;
            Word balance = Word.ZERO;
            byte[] codeHash = io.flotilla.evm.crypto.Keccak.EMPTY.clone();
            byte[] storageRoot = PatriciaTrie.EMPTY_ROOT.clone();
            if (leaf != null) {
                List<org.web3j.rlp.RlpType> f = io.flotilla.evm.rlp.Rlp.decodeList(leaf);
                nonce = ((org.web3j.rlp.RlpString) f.get(0)).asPositiveBigInteger().longValueExact();
                balance = Word.fromBigInteger(((org.web3j.rlp.RlpString) f.get(1)).asPositiveBigInteger());
                storageRoot = ((org.web3j.rlp.RlpString) f.get(2)).getBytes();
                codeHash = ((org.web3j.rlp.RlpString) f.get(3)).getBytes();
            }
            PatriciaTrie st = PatriciaTrie.open(storageRoot, store.nodes());
            List<SlotProof> slots = new java.util.ArrayList<>();
            for (Word k : keys) {
                byte[] v = st.get(StateRoot.slotKey(k));
                Word value = v == null ? Word.ZERO : Word.fromBytes(((org.web3j.rlp.RlpString) io.flotilla.evm.rlp.Rlp.raw(v)).getBytes());
                slots.add(new SlotProof(k, value, st.proof(StateRoot.slotKey(k))));
            }
            return Optional.of(new AccountProof(address, nonce, balance, codeHash, storageRoot, accounts.proof(StateRoot.accountKey(address)), slots));
        }
    }

    /** The state after block {@code number}; empty when it is not kept. */
    Optional<HistoricalView> stateAfter(long number) {
        lock.readLock().lock();
        try {
            if (!covers(number)) return Optional.empty();
            return Optional.of(new HistoricalView(number, store.header(number).orElseThrow().stateRoot()));
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The state after block {@code target}: while it is the head, its flat records; after, its tries in the store
     * (opened by that block's state root). Each read takes the read lock and checks the state is still kept; if it
     * left the window meanwhile (not {@link #pin pinned}), {@link #lost()} turns true and the read throws
     * {@link StatePruned} (the caller discards its work).
     */
    final class HistoricalView implements CommittedState {
        private final long target;
        private final PatriciaTrie accounts;
        private volatile boolean lost;

        private HistoricalView(long target, byte[] root) {
            this.target = target;
            this.accounts = PatriciaTrie.open(root, store.nodes());
        }

        boolean lost() {
            return lost;
        }

        private <T> T at(Function<io.flotilla.evm.state.WorldState, T> latest, java.util.function.Supplier<T> older) {
            lock.readLock().lock();
            try {
                if (!covers(target)) {
                    lost = true;
                    throw new StatePruned(target);
                }
                return target == head.number() ? latest.apply(state) : older.get();
            } finally {
                lock.readLock().unlock();
            }
        }

        /** The account leaf's fields [nonce, balance, storageRoot, codeHash], or null. */
        private List<org.web3j.rlp.RlpType> leaf(Address address) {
            byte[] leaf = accounts.get(StateRoot.accountKey(address));
            return leaf == null ? null : io.flotilla.evm.rlp.Rlp.decodeList(leaf);
        }

        private PatriciaTrie storageTrie(Address address) {
            List<org.web3j.rlp.RlpType> f = leaf(address);
            return f == null ? PatriciaTrie.empty() : PatriciaTrie.open(((org.web3j.rlp.RlpString) f.get(2)).getBytes(), store.nodes());
        }

        @Override
        public Account account(Address address) {
            return at(s -> s.account(address), () -> {
                List<org.web3j.rlp.RlpType> f = leaf(address);
                if (f == null) return null;
                long nonce = ((org.web3j.rlp.RlpString) f.get(0)).asPositiveBigInteger().longValueExact();
                Word balance = Word.fromBigInteger(((org.web3j.rlp.RlpString) f.get(1)).asPositiveBigInteger());
                byte[] codeHash = ((org.web3j.rlp.RlpString) f.get(3)).getBytes();
                byte[] code = Arrays.equals(codeHash, io.flotilla.evm.crypto.Keccak.EMPTY) ? new byte[0] : store.code(codeHash);
                return Account.of(nonce, balance, code == null ? new byte[0] : code);
            });
        }

        @Override
        public Word storage(Address address, Word key) {
            return at(s -> s.storage(address, key), () -> {
                byte[] v = storageTrie(address).get(StateRoot.slotKey(key));
                return v == null ? Word.ZERO : Word.fromBytes(((org.web3j.rlp.RlpString) io.flotilla.evm.rlp.Rlp.raw(v)).getBytes());
            });
        }

        @Override
        public Map<Word, Word> storageOf(Address address) {
            return at(s -> s.storageOf(address), () -> {
                Map<Word, Word> out = new java.util.HashMap<>();
                storageTrie(address).forEachEntry((k, v) -> {
                    byte[] slot = store.preimage(k);
                    if (slot == null) throw new IllegalStateException("no preimage of storage key " + io.flotilla.evm.types.Hex.encode(k));
                    out.put(Word.fromBytes(slot), Word.fromBytes(((org.web3j.rlp.RlpString) io.flotilla.evm.rlp.Rlp.raw(v)).getBytes()));
                });
                return out;
            });
        }

        @Override
        public boolean hasStorage(Address address) {
            return at(s -> s.hasStorage(address), () -> !storageTrie(address).isEmpty());
        }

        @Override
        public java.util.Set<Address> addresses() {
            return at(io.flotilla.evm.state.WorldState::addresses, () -> {
                java.util.Set<Address> out = new java.util.HashSet<>();
                accounts.forEachEntry((k, v) -> {
                    byte[] a = store.preimage(k);
                    if (a == null) throw new IllegalStateException("no preimage of account key " + io.flotilla.evm.types.Hex.encode(k));
                    out.add(Address.of(a));
                });
                return out;
            });
        }




    }

    /** Read access to the live state for a block session, taken under the read lock per access. */
    private final class LockedView implements CommittedState {
        @Override
        public Account account(Address address) {
            return read(s -> s.account(address));
        }



        @Override
        public Word storage(Address address, Word key) {
            return read(s -> s.storage(address, key));
        }


        @Override
        public Map<Word, Word> storageOf(Address address) {
            return read(s -> s.storageOf(address));
        }


        @Override
        public boolean hasStorage(Address address) {
            return read(s -> s.hasStorage(address));
        }

        @Override
        public java.util.Set<Address> addresses() {
            return read(io.flotilla.evm.state.WorldState::addresses);
        }
    }

}
