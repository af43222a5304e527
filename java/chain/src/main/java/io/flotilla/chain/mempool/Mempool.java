package io.flotilla.chain.mempool;

import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * Pending transactions, per sender ordered by nonce. Nonce gaps are kept for a while (a later transaction may arrive
 * before an earlier one) but only the gap-free run starting at the account nonce is ready for a block.
 * <p>Everything a stranger can make every member hold is bounded ({@link MempoolConfig}): transactions and bytes in
 * total and per sender, how far ahead of a gap a nonce may be, and how long a transaction may wait behind a gap. The
 * balance check covers all of a sender's pending transactions together, so one funded account cannot pool a
 * thousand transactions it could pay for only once. A full pool makes room by dropping transactions behind a gap
 * first, then the cheapest (the highest nonce of the sender paying least), and only for a transaction that pays more.
 * <p>Knows accounts only through what callers pass: the committed nonce and balance on {@link #add}, the nonces on
 * {@link #prune}. Thread-safe.
 */
public final class Mempool {
    private static final BigInteger HUNDRED = BigInteger.valueOf(100);

    private final MempoolConfig config;
    private final BigInteger baseFee;
    private final LongSupplier clock;
    private final Map<Address, SenderQueue> bySender = new LinkedHashMap<>();
    private final Map<String, SignedTransaction> byHash = new HashMap<>();
    private long bytes;
    /** Told of every transaction leaving the pool (under the pool's lock: listeners must only record it). */
    private final List<java.util.function.Consumer<SignedTransaction>> removalListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** A pooled transaction, when it arrived and what it pays per gas (the base fee is the chain's constant). */
    private record Pooled(SignedTransaction tx, long arrivedAt, BigInteger price) {
    }

    /**
     * One sender's transactions by nonce, with their sums, the committed nonce last seen for it and the first nonce
     * missing from the gap-free run that starts there, kept up to date as transactions come and go (a walk of the
     * run on every add made a sender's queue quadratic to fill).
     */
    private static final class SenderQueue {
        private final TreeMap<Long, Pooled> txs = new TreeMap<>();
        private long accountNonce;
        private long next;
        long bytes;
        BigInteger cost = BigInteger.ZERO;

        /** The first nonce missing from the gap-free run that starts at the account nonce. */
        long nextNonce() {
            return next;
        }

        long accountNonce() {
            return accountNonce;
        }

        void put(long nonce, Pooled p) {
            txs.put(nonce, p);
            while (txs.containsKey(next)) next++;
        }

        Pooled remove(long nonce) {
            Pooled p = txs.remove(nonce);
            if (p != null && nonce >= accountNonce && nonce < next) next = nonce;
            return p;
        }

        /** The chain's nonce for the sender reached {@code nonce} (transactions below it are dropped separately). */
        void raise(long nonce) {
            if (nonce <= accountNonce) return;
            accountNonce = nonce;
            if (next < nonce) {
                next = nonce;
                while (txs.containsKey(next)) next++;
            }
        }
    }

    public Mempool(MempoolConfig config) {
        this(config, BigInteger.ZERO, System::currentTimeMillis);
    }

    /**
     * @param baseFee the chain's constant base fee, to rank transactions by what they pay
     * @param clock milliseconds, for how long a transaction has waited behind a nonce gap
     */
    public Mempool(MempoolConfig config, BigInteger baseFee, LongSupplier clock) {
        this.config = config;
        this.baseFee = baseFee;
        this.clock = clock;
    }

    public MempoolConfig config() {
        return config;
    }

    /**
     * Registers a listener told of every transaction that leaves the pool for any reason: included or passed by the
     * chain's nonce, replaced, evicted, dropped behind a gap, refused by the EVM. Called under the pool's lock.
     */
    public void onRemoved(java.util.function.Consumer<SignedTransaction> listener) {
        removalListeners.add(listener);
    }

    /** Every pooled transaction, grouped by sender and in nonce order within a sender (re-gossip, re-validation). */
    public synchronized List<SignedTransaction> snapshot() {
        List<SignedTransaction> out = new ArrayList<>(byHash.size());
        for (SenderQueue q : bySender.values()) {
            for (Pooled p : q.txs.values()) out.add(p.tx());
        }
        return out;
    }

    /**
     * Offers a transaction whose sender has committed nonce {@code accountNonce} and balance {@code balance}; the
     * checks run in the order geth applies them, and a refused transaction changes nothing.
     */
    public synchronized AddResult add(SignedTransaction tx, long accountNonce, BigInteger balance) {
        if (byHash.containsKey(tx.hashHex())) return reject(AddResult.Reason.ALREADY_KNOWN);
        if (tx.nonce() < accountNonce) return reject(AddResult.Reason.NONCE_TOO_LOW);
        SenderQueue queue = bySender.get(tx.sender());
        if (queue != null && accountNonce > queue.accountNonce()) dropBelow(queue, accountNonce);
        long next = queue == null ? accountNonce : queue.nextNonce();
        if (tx.nonce() - next > config.maxNonceGap()) {
            return reject(AddResult.Reason.NONCE_TOO_HIGH, "nonce too high: " + Long.toUnsignedString(tx.nonce()) + " is more than "
                    + config.maxNonceGap() + " ahead of the sender's next nonce " + next);
        }
        Pooled previous = queue == null ? null : queue.txs.get(tx.nonce());
        if (previous != null && !outbids(tx, previous.tx())) return reject(AddResult.Reason.REPLACEMENT_UNDERPRICED);
        int others = queue == null ? 0 : queue.txs.size() - (previous == null ? 0 : 1);
        BigInteger cost = (queue == null ? BigInteger.ZERO : queue.cost).add(tx.maxCost())
                .subtract(previous == null ? BigInteger.ZERO : previous.tx().maxCost());
        if (cost.compareTo(balance) > 0) {
            return reject(AddResult.Reason.INSUFFICIENT_FUNDS, others == 0 ? AddResult.Reason.INSUFFICIENT_FUNDS.message
                    : AddResult.Reason.INSUFFICIENT_FUNDS.message + " (together with the sender's " + others + " pending transactions)");
        }
        int size = tx.raw().length;
        int previousSize = previous == null ? 0 : previous.tx().raw().length;
        long senderBytes = (queue == null ? 0 : queue.bytes) + size - previousSize;
        if ((previous == null && others >= config.maxPerSender()) || senderBytes > config.maxBytesPerSender()) {
            return reject(AddResult.Reason.SENDER_LIMIT);
        }
        List<SignedTransaction> evicted = List.of();
        int excessCount = byHash.size() + (previous == null ? 1 : 0) - config.maxTransactions();
        long excessBytes = bytes + size - previousSize - config.maxBytes();
        if (excessCount > 0 || excessBytes > 0) {
            List<Pooled> victims = victims(tx, excessCount, excessBytes);
            if (victims == null) return reject(AddResult.Reason.POOL_FULL);
            evicted = new ArrayList<>();
            for (Pooled v : victims) {
                removePooled(v.tx());
                evicted.add(v.tx());
            }
        }
        if (previous != null) removePooled(previous.tx());
        queue = bySender.computeIfAbsent(tx.sender(), a -> new SenderQueue());
        queue.raise(accountNonce);
        queue.put(tx.nonce(), new Pooled(tx, clock.getAsLong(), tx.effectiveGasPrice(baseFee)));
        queue.bytes += size;
        queue.cost = queue.cost.add(tx.maxCost());
        bytes += size;
        byHash.put(tx.hashHex(), tx);
        return previous != null ? new AddResult.Replaced(tx, previous.tx()) : new AddResult.Added(tx, evicted);
    }

    /**
     * Transactions of other senders to drop so that {@code count} transactions and {@code size} bytes fit, or null
     * when that would take a transaction paying as much as {@code incoming}: behind a nonce gap first, then the
     * cheapest, always the highest nonce of a sender so no new gap opens. Changes nothing.
     */
    private List<Pooled> victims(SignedTransaction incoming, int count, long size) {
        // Runs for every transaction offered to a full pool (a backlog, or a flood), so it reads each sender's tail
        // and its next nonce in O(log n) and compares prices computed once, at admission.
        BigInteger price = incoming.effectiveGasPrice(baseFee);
        Map<Address, Integer> taken = new HashMap<>();
        List<Pooled> out = new ArrayList<>();
        while (count > 0 || size > 0) {
            Pooled best = null;
            boolean bestGapped = false;
            Address bestSender = null;
            for (Map.Entry<Address, SenderQueue> e : bySender.entrySet()) {
                if (e.getKey().equals(incoming.sender())) continue;
                SenderQueue q = e.getValue();
                int k = taken.isEmpty() ? 0 : taken.getOrDefault(e.getKey(), 0);
                if (k >= q.txs.size()) continue;
                Pooled candidate;
                if (k == 0) {
                    candidate = q.txs.lastEntry().getValue();
                } else {
                    Iterator<Pooled> tail = q.txs.descendingMap().values().iterator();
                    for (int i = 0; i < k; i++) tail.next();
                    candidate = tail.next();
                }
                boolean gapped = candidate.tx().nonce() > q.nextNonce();
                if (best == null || (gapped && !bestGapped) || (gapped == bestGapped && cheaper(candidate, best))) {
                    best = candidate;
                    bestGapped = gapped;
                    bestSender = e.getKey();
                }
            }
            if (best == null || (!bestGapped && best.price().compareTo(price) >= 0)) return null;
            out.add(best);
            taken.merge(bestSender, 1, Integer::sum);
            count--;
            size -= best.tx().raw().length;
        }
        return out;
    }

    /** Lower price first; among equals the later arrival (it displaced nobody yet). */
    private static boolean cheaper(Pooled a, Pooled b) {
        int c = a.price().compareTo(b.price());
        return c < 0 || (c == 0 && a.arrivedAt() > b.arrivedAt());
    }

    private boolean outbids(SignedTransaction tx, SignedTransaction old) {
        BigInteger factor = BigInteger.valueOf(100L + config.priceBumpPercent());
        return tx.feeCap().multiply(HUNDRED).compareTo(old.feeCap().multiply(factor)) >= 0
                && tx.tipCap().multiply(HUNDRED).compareTo(old.tipCap().multiply(factor)) >= 0
                && tx.feeCap().compareTo(old.feeCap()) > 0;
    }

    private static AddResult reject(AddResult.Reason reason) {
        return reject(reason, reason.message);
    }

    private static AddResult reject(AddResult.Reason reason, String message) {
        return new AddResult.Rejected(reason, message);
    }

    /** The nonce the sender's next transaction should use: past every gap-free pending one (eth_getTransactionCount "pending"). */
    public synchronized long pendingNonce(Address sender, long accountNonce) {
        SenderQueue queue = bySender.get(sender);
        if (queue == null) return accountNonce;
        if (accountNonce >= queue.accountNonce() && accountNonce <= queue.nextNonce()) return queue.nextNonce();
        long n = accountNonce;
        while (queue.txs.containsKey(n)) n++;
        return n;
    }

    public synchronized Optional<SignedTransaction> get(String hashHex) {
        return Optional.ofNullable(byHash.get(hashHex.toLowerCase()));
    }

    public synchronized int size() {
        return byHash.size();
    }

    /** Raw bytes of all pooled transactions. */
    public synchronized long bytes() {
        return bytes;
    }

    /**
     * The gas limits of the ready transactions (see {@link #ready}) added up, stopping as soon as the sum reaches
     * {@code cap}: a cheap "is there work" / "is there a block's worth" without building the lists.
     */
    public synchronized long readyGas(ToLongFunction<Address> accountNonce, long cap) {
        long gas = 0;
        for (Map.Entry<Address, SenderQueue> e : bySender.entrySet()) {
            long n = accountNonce.applyAsLong(e.getKey());
            for (Pooled p : e.getValue().txs.tailMap(n, true).values()) {
                if (p.tx().nonce() != n) break;
                gas += p.tx().gasLimit();
                if (gas >= cap) return gas;
                n++;
            }
        }
        return gas;
    }

    /** Every pooled transaction by sender, in nonce order (txpool_content and friends). */
    public synchronized Map<Address, List<SignedTransaction>> all() {
        Map<Address, List<SignedTransaction>> out = new LinkedHashMap<>();
        for (Map.Entry<Address, SenderQueue> e : bySender.entrySet()) {
            List<SignedTransaction> txs = new ArrayList<>();
            for (Pooled p : e.getValue().txs.values()) txs.add(p.tx());
            if (!txs.isEmpty()) out.put(e.getKey(), txs);
        }
        return out;
    }

    /** For each sender, the gap-free run of transactions starting at its committed nonce, in nonce order. */
    public synchronized Map<Address, List<SignedTransaction>> ready(ToLongFunction<Address> accountNonce) {
        Map<Address, List<SignedTransaction>> out = new LinkedHashMap<>();
        for (Map.Entry<Address, SenderQueue> e : bySender.entrySet()) {
            long n = accountNonce.applyAsLong(e.getKey());
            List<SignedTransaction> run = new ArrayList<>();
            for (Pooled p : e.getValue().txs.tailMap(n, true).values()) {
                if (p.tx().nonce() != n) break;
                run.add(p.tx());
                n++;
            }
            if (!run.isEmpty()) out.put(e.getKey(), run);
        }
        return out;
    }

    /**
     * Drops transactions whose nonce the chain has passed (included, or replaced by another with that nonce), then
     * the ones that have waited behind a nonce gap for longer than the configured time.
     */
    public synchronized void prune(Iterable<Address> senders, ToLongFunction<Address> accountNonce) {
        for (Address a : senders) {
            SenderQueue queue = bySender.get(a);
            if (queue != null) dropBelow(queue, accountNonce.applyAsLong(a));
        }
        dropStuck();
    }

    /** Drops transactions waiting behind a nonce gap for longer than the configured time; returns them. */
    public synchronized List<SignedTransaction> dropStuck() {
        long cutoff = clock.getAsLong() - config.stuckAfter().toMillis();
        List<SignedTransaction> out = new ArrayList<>();
        for (SenderQueue queue : List.copyOf(bySender.values())) {
            long next = queue.nextNonce();
            for (Pooled p : List.copyOf(queue.txs.tailMap(next, false).values())) {
                if (p.arrivedAt() <= cutoff) {
                    removePooled(p.tx());
                    out.add(p.tx());
                }
            }
        }
        return out;
    }

    /** Removes one transaction (e.g. one the EVM rejected for good). */
    public synchronized void remove(SignedTransaction tx) {
        SenderQueue queue = bySender.get(tx.sender());
        Pooled p = queue == null ? null : queue.txs.get(tx.nonce());
        if (p != null && p.tx() == tx) removePooled(tx);
    }

    private void dropBelow(SenderQueue queue, long accountNonce) {
        queue.raise(accountNonce);
        NavigableMap<Long, Pooled> stale = queue.txs.headMap(accountNonce, false);
        for (Pooled p : List.copyOf(stale.values())) removePooled(p.tx());
    }

    private void removePooled(SignedTransaction tx) {
        SenderQueue queue = bySender.get(tx.sender());
        if (queue == null || queue.remove(tx.nonce()) == null) return;
        queue.bytes -= tx.raw().length;
        queue.cost = queue.cost.subtract(tx.maxCost());
        bytes -= tx.raw().length;
        byHash.remove(tx.hashHex());
        if (queue.txs.isEmpty()) bySender.remove(tx.sender());
        for (java.util.function.Consumer<SignedTransaction> l : removalListeners) l.accept(tx);
    }
}
