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
 * <p>The latest state lives in memory (loaded from the store at start) and is persisted by per-block diffs;
 * readers take a read lock, commits a write lock.
 */
public final class ChainState {
    private final ChainStore store;
    private final ChainConfig config;
    private final TxDecoder decoder;
    private final BlockExecutor executor;
    /** Guarded by {@link #lock}; replaced whole only by {@link #installStaged}. */
    private InMemoryWorldState state = new InMemoryWorldState();
    /** Wall-time limit of one eth_call or eth_estimateGas (geth's default RPC EVM timeout). */
    public static final java.time.Duration CALL_TIMEOUT = java.time.Duration.ofSeconds(5);

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final List<Consumer<ExecutedBlock>> listeners = new CopyOnWriteArrayList<>();
    private final BlockHeader genesisHeader;
    private volatile BlockHeader head;
    /** The tries of the latest state, updated per block along changed paths; built once at open. */
    private StateTries tries;
    /** Undo records of recent blocks, for re-executing them (tracing); guarded by {@link #lock}. */
    private StateHistory history = new StateHistory(StateHistory.DEFAULT_BLOCKS, StateHistory.DEFAULT_MAX_ENTRIES);

    private ChainState(ChainStore store, ChainConfig config, TxDecoder decoder, BlockHeader genesisHeader) {
        this.store = store;
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
        ExecutedBlock g = genesisBlock(genesis);
        ChainState chain = new ChainState(store, genesis.config(), new TxDecoder(genesis.config().chainId(), true), g.block().header());
        if (store.headNumber().isEmpty()) {
            store.commit(g.block(), List.of(), g.stateDiff());
        } else {
            byte[] stored = store.header(0).orElseThrow().hash();
            if (!Arrays.equals(stored, g.block().hash())) {
                throw new IllegalStateException("store was created from a different genesis");
            }
        }
        store.loadState(chain.state);
        chain.head = store.header(store.headNumber().getAsLong()).orElseThrow();
        chain.tries = StateTries.build(chain.state);
        if (!Arrays.equals(chain.tries.root(), chain.head.stateRoot())) {
            throw new IllegalStateException("the stored state does not match the state root of block " + chain.head.number());
        }
        return chain;
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
            store.commit(executed.block(), executed.receipts(), executed.stateDiff());
            history.record(h.number(), state, executed.stateDiff());
            OverlayWorldState.applyTo(state, executed.stateDiff());
            tries.apply(update);
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
     * Makes the state a snapshot sync staged in the store ({@link ChainStore#staging}) the chain's: the staged state is
     * loaded and its tries built, their root must be the state root of staged block {@code height} (else nothing
     * changes and this throws), then the store swaps it in atomically and the head becomes that block. The undo records
     * of earlier blocks go (their state is not this node's any more). Listeners are not called: no block was executed.
     */
    public void installStaged(long height) {
        installStaged(height, null);
    }

    /**
     * As {@link #installStaged(long)}, with {@code loaded} the staged state already in memory (what the sync kept as it
     * staged it): then it is not read back from the store. It must be exactly what is staged.
     */
    public void installStaged(long height, InMemoryWorldState loaded) {
        ChainStore.Staging staging = store.staging();
        InMemoryWorldState fresh = loaded;
        if (fresh == null) {
            fresh = new InMemoryWorldState();
            staging.loadState(fresh);
        }
        StateTries freshTries = StateTries.build(fresh);
        lock.writeLock().lock();
        try {
            if (height <= head.number()) throw new IllegalStateException("snapshot " + height + " is not above head " + head.number());
            BlockHeader h = staging.header(height).orElseThrow(() -> new IllegalStateException("block " + height + " is not staged"));
            if (!Arrays.equals(freshTries.root(), h.stateRoot())) {
                throw new IllegalStateException("the staged state does not match the state root of block " + height);
            }
            staging.install(height);
            state = fresh;
            tries = freshTries;
            history = new StateHistory(StateHistory.DEFAULT_BLOCKS, StateHistory.DEFAULT_MAX_ENTRIES);
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
        Optional<HistoricalView> view = stateAfter(number);
        Optional<BlockHeader> h = header(number);
        if (view.isEmpty() || h.isEmpty()) return Optional.empty();
        long gas = req.gas() == null ? config.gasLimit() : Math.min(req.gas(), config.gasLimit());
        CallOutcome out = CallDeadline.run(CALL_TIMEOUT, () -> simulate(view.get(), h.get(), req, gas), CallOutcome.TimedOut::new);
        if (view.get().lost()) throw new StatePruned(number);
        return Optional.of(out);
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
        Optional<HistoricalView> view = stateAfter(number);
        Optional<BlockHeader> h = header(number);
        if (view.isEmpty() || h.isEmpty()) return Optional.empty();
        GasEstimate est = estimate(view.get(), h.get(), req);
        if (view.get().lost()) throw new StatePruned(number);
        return Optional.of(est);
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

    /** How many recent blocks' states can be rebuilt at most (fewer when their changes are very large). */
    public static final int HISTORY_BLOCKS = StateHistory.DEFAULT_BLOCKS;

    /** The state after block {@code number} (read-only), if it is the head or within the recent history; else empty. */
    public Optional<io.flotilla.evm.state.WorldState> stateAt(long number) {
        return stateAfter(number).map(v -> v);
    }

    /** The oldest block that can be re-executed (its parent's state can be rebuilt); the head's successor when none. */
    public long oldestTraceable() {
        lock.readLock().lock();
        try {
            return Math.max(1, history.oldestUndoable(head.number()));
        } finally {
            lock.readLock().unlock();
        }
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
     * block of the recent history). The tries of an older block are the latest tries with the paths that later blocks
     * changed set back through the undo records (cost: what those blocks changed × log of the state; nothing is kept
     * per block), and their root is checked against the block's header. Empty when that state is not kept; throws
     * {@link StatePruned} when it left the window meanwhile.
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
        io.flotilla.evm.trie.PatriciaTrie accounts;
        Map<Address, java.util.Set<Word>> touched = new java.util.HashMap<>();
        java.util.Set<Address> cleared = new java.util.HashSet<>();
        Map<Address, io.flotilla.evm.trie.PatriciaTrie> storage = new java.util.HashMap<>();
        BlockHeader target;
        lock.readLock().lock();
        try {
            if (number > head.number() || !history.covers(number, head.number())) return Optional.empty();
            target = store.header(number).orElseThrow();
            accounts = tries.accounts();
            history.changesAfter(number, touched, cleared);
            for (Address a : touched.keySet()) storage.put(a, tries.storage(a));
            storage.putIfAbsent(address, tries.storage(address));
        } finally {
            lock.readLock().unlock();
        }
        if (!touched.isEmpty()) {
            HistoricalView view = new HistoricalView(number);
            for (Map.Entry<Address, java.util.Set<Word>> e : touched.entrySet()) {
                Address a = e.getKey();
                io.flotilla.evm.trie.PatriciaTrie st;
                if (cleared.contains(a)) {
                    st = StateRoot.storageTrie(view.storageOf(a));
                } else {
                    st = storage.get(a);
                    for (Word k : e.getValue()) st = st.put(StateRoot.slotKey(k), StateRoot.slotValue(view.storage(a, k)));
                }
                storage.put(a, st);
                Account acc = view.account(a);
                accounts = acc == null ? accounts.delete(StateRoot.accountKey(a))
                        : accounts.put(StateRoot.accountKey(a), StateRoot.accountValue(acc, st.rootHash()));
            }
        }
        if (!Arrays.equals(accounts.rootHash(), target.stateRoot())) {
            throw new IllegalStateException("the rebuilt state root of block " + number + " does not match its header");
        }
        byte[] leaf = accounts.get(StateRoot.accountKey(address));
        long nonce = 0;
        Word balance = Word.ZERO;
        byte[] codeHash = io.flotilla.evm.crypto.Keccak.EMPTY.clone();
        if (leaf != null) {
            List<org.web3j.rlp.RlpType> f = io.flotilla.evm.rlp.Rlp.decodeList(leaf);
            nonce = ((org.web3j.rlp.RlpString) f.get(0)).asPositiveBigInteger().longValueExact();
            balance = Word.fromBigInteger(((org.web3j.rlp.RlpString) f.get(1)).asPositiveBigInteger());
            codeHash = ((org.web3j.rlp.RlpString) f.get(3)).getBytes();
        }
        io.flotilla.evm.trie.PatriciaTrie st = storage.get(address);
        List<SlotProof> slots = new java.util.ArrayList<>();
        for (Word k : keys) {
            byte[] v = st.get(StateRoot.slotKey(k));
            Word value = v == null ? Word.ZERO : Word.fromBytes(((org.web3j.rlp.RlpString) io.flotilla.evm.rlp.Rlp.raw(v)).getBytes());
            slots.add(new SlotProof(k, value, st.proof(StateRoot.slotKey(k))));
        }
        byte[] storageHash = leaf == null ? MerklePatriciaTrie.EMPTY_ROOT.clone() : st.rootHash();
        return Optional.of(new AccountProof(address, nonce, balance, codeHash, storageHash, accounts.proof(StateRoot.accountKey(address)), slots));
    }

    /** The state after block {@code number}, read through the undo records; empty when they no longer reach back that far. */
    Optional<HistoricalView> stateAfter(long number) {
        lock.readLock().lock();
        try {
            if (number > head.number() || !history.covers(number, head.number())) return Optional.empty();
            return Optional.of(new HistoricalView(number));
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The state after block {@code target}: each read takes the read lock and goes through the undo records of every
     * later block, so commits that happen meanwhile change nothing it shows. If the records it needs are dropped
     * meanwhile, {@link #lost()} turns true (its reads are then unreliable and the caller must discard its work).
     */
    final class HistoricalView implements io.flotilla.evm.state.WorldState {
        private final long target;
        private volatile boolean lost;

        private HistoricalView(long target) {
            this.target = target;
        }

        boolean lost() {
            return lost;
        }

        private <T> T at(Function<io.flotilla.evm.state.WorldState, T> reader) {
            lock.readLock().lock();
            try {
                if (!history.covers(target, head.number())) {
                    lost = true;
                    throw new StatePruned(target);
                }
                return reader.apply(state);
            } finally {
                lock.readLock().unlock();
            }
        }

        @Override
        public Account account(Address address) {
            return at(s -> history.account(s, target, address));
        }

        @Override
        public Word storage(Address address, Word key) {
            return at(s -> history.storage(s, target, address, key));
        }

        @Override
        public Map<Word, Word> storageOf(Address address) {
            return at(s -> history.storageOf(s, target, address));
        }

        @Override
        public boolean hasStorage(Address address) {
            return !storageOf(address).isEmpty();
        }

        @Override
        public java.util.Set<Address> addresses() {
            return at(s -> history.addresses(s, target));
        }

        @Override
        public void putAccount(Address address, Account account) {
            throw new UnsupportedOperationException("committed state is read-only");
        }

        @Override
        public void deleteAccount(Address address) {
            throw new UnsupportedOperationException("committed state is read-only");
        }

        @Override
        public void putStorage(Address address, Word key, Word value) {
            throw new UnsupportedOperationException("committed state is read-only");
        }

        @Override
        public void replaceStorage(Address address, Map<Word, Word> slots) {
            throw new UnsupportedOperationException("committed state is read-only");
        }
    }

    /** Read access to the live state for a block session, taken under the read lock per access. */
    private final class LockedView implements io.flotilla.evm.state.WorldState {
        @Override
        public Account account(Address address) {
            return read(s -> s.account(address));
        }

        @Override
        public void putAccount(Address address, Account account) {
            throw new UnsupportedOperationException("committed state is read-only");
        }

        @Override
        public void deleteAccount(Address address) {
            throw new UnsupportedOperationException("committed state is read-only");
        }

        @Override
        public Word storage(Address address, Word key) {
            return read(s -> s.storage(address, key));
        }

        @Override
        public void putStorage(Address address, Word key, Word value) {
            throw new UnsupportedOperationException("committed state is read-only");
        }

        @Override
        public Map<Word, Word> storageOf(Address address) {
            return read(s -> s.storageOf(address));
        }

        @Override
        public void replaceStorage(Address address, Map<Word, Word> slots) {
            throw new UnsupportedOperationException("committed state is read-only");
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
