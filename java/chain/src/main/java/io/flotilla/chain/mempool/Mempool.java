package io.flotilla.chain.mempool;

import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * Pending transactions, per sender ordered by nonce. Nonce gaps are kept (a later transaction may arrive before
 * an earlier one) but only the gap-free run starting at the account nonce is ready for a block.
 * Stateless about accounts: callers pass the committed nonce where it matters. Thread-safe.
 */
public final class Mempool {
    private static final BigInteger HUNDRED = BigInteger.valueOf(100);

    private final MempoolConfig config;
    private final Map<Address, TreeMap<Long, SignedTransaction>> bySender = new LinkedHashMap<>();
    private final Map<String, SignedTransaction> byHash = new HashMap<>();

    public Mempool(MempoolConfig config) {
        this.config = config;
    }

    /** Offers a transaction; {@code accountNonce} is the sender's committed nonce. */
    public synchronized AddResult add(SignedTransaction tx, long accountNonce) {
        if (byHash.containsKey(tx.hashHex())) return reject(AddResult.Reason.ALREADY_KNOWN);
        if (tx.nonce() < accountNonce) return reject(AddResult.Reason.NONCE_TOO_LOW);
        TreeMap<Long, SignedTransaction> queue = bySender.get(tx.sender());
        SignedTransaction previous = queue == null ? null : queue.get(tx.nonce());
        if (previous != null) {
            if (!outbids(tx, previous)) return reject(AddResult.Reason.REPLACEMENT_UNDERPRICED);
            queue.put(tx.nonce(), tx);
            byHash.remove(previous.hashHex());
            byHash.put(tx.hashHex(), tx);
            return new AddResult.Replaced(tx, previous);
        }
        if (byHash.size() >= config.maxTransactions()) return reject(AddResult.Reason.POOL_FULL);
        if (queue != null && queue.size() >= config.maxPerSender()) return reject(AddResult.Reason.SENDER_LIMIT);
        bySender.computeIfAbsent(tx.sender(), a -> new TreeMap<>()).put(tx.nonce(), tx);
        byHash.put(tx.hashHex(), tx);
        return new AddResult.Added(tx);
    }

    private boolean outbids(SignedTransaction tx, SignedTransaction old) {
        BigInteger factor = BigInteger.valueOf(100L + config.priceBumpPercent());
        return tx.feeCap().multiply(HUNDRED).compareTo(old.feeCap().multiply(factor)) >= 0
                && tx.tipCap().multiply(HUNDRED).compareTo(old.tipCap().multiply(factor)) >= 0
                && tx.feeCap().compareTo(old.feeCap()) > 0;
    }

    private static AddResult reject(AddResult.Reason reason) {
        return new AddResult.Rejected(reason, reason.message);
    }

    /** The nonce the sender's next transaction should use: past every gap-free pending one (eth_getTransactionCount "pending"). */
    public synchronized long pendingNonce(Address sender, long accountNonce) {
        TreeMap<Long, SignedTransaction> queue = bySender.get(sender);
        long n = accountNonce;
        if (queue == null) return n;
        while (queue.containsKey(n)) n++;
        return n;
    }

    public synchronized Optional<SignedTransaction> get(String hashHex) {
        return Optional.ofNullable(byHash.get(hashHex.toLowerCase()));
    }

    public synchronized int size() {
        return byHash.size();
    }

    /**
     * The gas limits of the ready transactions (see {@link #ready}) added up, stopping as soon as the sum reaches
     * {@code cap}: a cheap "is there work" / "is there a block's worth" without building the lists.
     */
    public synchronized long readyGas(ToLongFunction<Address> accountNonce, long cap) {
        long gas = 0;
        for (Map.Entry<Address, TreeMap<Long, SignedTransaction>> e : bySender.entrySet()) {
            long n = accountNonce.applyAsLong(e.getKey());
            for (SignedTransaction tx : e.getValue().tailMap(n, true).values()) {
                if (tx.nonce() != n) break;
                gas += tx.gasLimit();
                if (gas >= cap) return gas;
                n++;
            }
        }
        return gas;
    }

    /** For each sender, the gap-free run of transactions starting at its committed nonce, in nonce order. */
    public synchronized Map<Address, List<SignedTransaction>> ready(ToLongFunction<Address> accountNonce) {
        Map<Address, List<SignedTransaction>> out = new LinkedHashMap<>();
        for (Map.Entry<Address, TreeMap<Long, SignedTransaction>> e : bySender.entrySet()) {
            long n = accountNonce.applyAsLong(e.getKey());
            List<SignedTransaction> run = new ArrayList<>();
            for (SignedTransaction tx : e.getValue().tailMap(n, true).values()) {
                if (tx.nonce() != n) break;
                run.add(tx);
                n++;
            }
            if (!run.isEmpty()) out.put(e.getKey(), run);
        }
        return out;
    }

    /** Drops transactions whose nonce the chain has passed (included, or replaced by another with that nonce). */
    public synchronized void prune(Iterable<Address> senders, ToLongFunction<Address> accountNonce) {
        for (Address a : senders) {
            TreeMap<Long, SignedTransaction> queue = bySender.get(a);
            if (queue == null) continue;
            NavigableMap<Long, SignedTransaction> stale = queue.headMap(accountNonce.applyAsLong(a), false);
            for (SignedTransaction tx : stale.values()) byHash.remove(tx.hashHex());
            stale.clear();
            if (queue.isEmpty()) bySender.remove(a);
        }
    }

    /** Removes one transaction (e.g. one the EVM rejected for good). */
    public synchronized void remove(SignedTransaction tx) {
        TreeMap<Long, SignedTransaction> queue = bySender.get(tx.sender());
        if (queue != null && queue.get(tx.nonce()) == tx) {
            queue.remove(tx.nonce());
            byHash.remove(tx.hashHex());
            if (queue.isEmpty()) bySender.remove(tx.sender());
        }
    }
}
