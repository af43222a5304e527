package io.flotilla.chain.bench;

import io.flotilla.chain.execution.BlockExecutor;
import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.ExecutedBlock;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.execution.Genesis.GenesisAccount;
import io.flotilla.chain.execution.OverlayWorldState;
import io.flotilla.chain.execution.StateTries;
import io.flotilla.chain.execution.TxApplyResult;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.storage.StateDiff;
import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.rlp.Rlp;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.StateRoot;
import io.flotilla.evm.trie.MerklePatriciaTrie;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.web3j.crypto.Credentials;

/**
 * {@code ./flotilla bench state}: the cost of a block as the state grows. For each size N it writes a genesis state of
 * N accounts plus an ERC-20 with N holders straight into a RocksDB chain store (block 0: no transactions), opens the
 * chain as a member does, then builds and commits blocks of 500 token transfers (half to existing holders, half to new
 * ones) through the member's path: {@link BlockExecutor} session, state root, synced commit. Consensus and networking
 * are not part of it (they do not depend on the state's size).
 * <p>Per size, one JSON line: block time p50/p95 (execution + root + commit), the state root's share p95 (the
 * incremental update), the same root computed the way it was before the incremental trie (account trie rebuilt from
 * every account, the token's storage trie from every slot) p95, RSS, the live heap after a full GC (RSS keeps what the
 * JVM once took, the full rebuilds' garbage included) and the store's size on disk.
 */
public final class StateBench {
    private static final long CHAIN_ID = 31_337_015L;
    private static final BigInteger GWEI = BigInteger.TEN.pow(9);
    private static final Address TOKEN = Address.fromHex("0x7000000000000000000000000000000000000015");
    private static final Address PROPOSER = Address.fromHex("0x00000000000000000000000000000000000000b0");
    private static final long HOLDER_TAG = 1;
    private static final long NEW_TAG = 2;

    private StateBench() {
    }

    private static void log(String message) {
        System.err.println("bench state: " + message);
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = List.of(10_000, 1_000_000);
        int blocks = 20;
        int txs = 500;
        int oldRootBlocks = 5;
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "flotilla-bench-state");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sizes" -> sizes = Arrays.stream(args[++i].split(",")).map(s -> Integer.parseInt(s.trim().replace("_", ""))).toList();
                case "--blocks" -> blocks = Integer.parseInt(args[++i]);
                case "--txs" -> txs = Integer.parseInt(args[++i]);
                case "--old-root-blocks" -> oldRootBlocks = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (usage: StateBench [--sizes 10000,1000000] [--blocks N] [--txs N] [--old-root-blocks N] [--dir D])");
            }
        }
        for (int n : sizes) {
            Path d = dir.resolve("n" + n);
            delete(d);
            try {
                System.out.println(run(n, blocks, txs, oldRootBlocks, d));
                System.out.flush();
            } finally {
                delete(d);
            }
        }
    }

    private static String run(int n, int blocks, int txs, int oldRootBlocks, Path dir) throws Exception {
        long t0 = System.nanoTime();
        List<Credentials> senders = new ArrayList<>();
        for (int i = 0; i < txs; i++) senders.add(Credentials.create(Hex.encode(Keccak.hash(AttackWorkloads.word(1_000_000L + i)))));
        Map<Address, GenesisAccount> alloc = new HashMap<>();
        Map<Word, Word> balances = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Address holder = AttackWorkloads.hashed(HOLDER_TAG, i);
            alloc.put(holder, GenesisAccount.funded(BigInteger.ONE));
            balances.put(AttackWorkloads.balanceSlot(holder), Word.of(1_000));
        }
        for (Credentials s : senders) {
            Address a = TestTxs.address(s);
            alloc.put(a, GenesisAccount.funded(BigInteger.TEN.pow(21)));
            balances.put(AttackWorkloads.balanceSlot(a), Word.of(1L << 50));
        }
        alloc.put(TOKEN, new GenesisAccount(BigInteger.ZERO, 1, AttackWorkloads.tokenContract(), balances));
        Genesis genesis = new Genesis(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, GWEI), 1_700_000_000L, PROPOSER, new byte[0], alloc);
        ChainStore store = ChainStore.open(dir);
        ChainState chain;
        try {
            chain = ChainState.open(store, genesis);
            alloc = null;
            balances = null;
            log(String.format(Locale.ROOT, "%,d accounts and %,d holders written and opened in %.1f s", n + txs, n + txs, (System.nanoTime() - t0) / 1e9));
            Random rnd = new Random(n);
            long fresh = 0;
            int warmup = 3;
            List<Double> blockMs = new ArrayList<>();
            List<Double> rootMs = new ArrayList<>();
            List<Double> oldRootMs = new ArrayList<>();
            for (int b = 0; b < warmup + blocks; b++) {
                List<SignedTransaction> batch = new ArrayList<>();
                for (int i = 0; i < txs; i++) {
                    Address to = i % 2 == 0 ? AttackWorkloads.hashed(HOLDER_TAG, rnd.nextInt(n)) : AttackWorkloads.hashed(NEW_TAG, fresh++);
                    String data = "0xa9059cbb" + Hex.encode(AttackWorkloads.word(to.toWord().toBigInteger())).substring(2)
                            + Hex.encode(AttackWorkloads.word(1)).substring(2);
                    byte[] raw = TestTxs.legacy(senders.get(i), CHAIN_ID, b, GWEI, 80_000, TOKEN.toString(), BigInteger.ZERO, data);
                    batch.add(chain.decoder().decode(raw));
                }
                long start = System.nanoTime();
                BlockExecutor.Session s = chain.beginBlock(chain.head().timestamp() + 1, PROPOSER, new byte[0]);
                for (SignedTransaction tx : batch) {
                    TxApplyResult r = s.apply(tx);
                    if (!(r instanceof TxApplyResult.Included inc) || !inc.receipt().success()) throw new IllegalStateException("transfer not included: " + r);
                }
                ExecutedBlock executed = s.finish();
                long finished = System.nanoTime();
                // The root's own cost, measured again on the parent's tries (persistent: this changes nothing), outside the block's time.
                double root = rootNanos(chain, executed.stateDiff()) / 1e6;
                long commitStart = System.nanoTime();
                chain.commit(executed);
                long end = System.nanoTime();
                if (b < warmup) continue;
                blockMs.add((finished - start + end - commitStart) / 1e6);
                rootMs.add(root);
                if (b - warmup < oldRootBlocks) oldRootMs.add(fullRebuildNanos(chain, executed.stateDiff()) / 1e6);
            }
            System.gc();
            long live = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            java.lang.ref.Reference.reachabilityFence(chain); // the chain (state, tries, history) is what is measured
            long rss = rssKib();
            long storeBytes = size(dir);
            return String.format(Locale.ROOT,
                    "{\"bench\":\"state\",\"accounts\":%d,\"holders\":%d,\"txs_per_block\":%d,\"blocks\":%d,\"block_ms_p50\":%.1f,"
                            + "\"block_ms_p95\":%.1f,\"root_ms_p95\":%.1f,\"root_ms_p95_full_rebuild\":%.1f,\"rss_mib\":%d,\"heap_live_mib\":%d,\"store_mib\":%d}",
                    n + txs + 1, n + txs, txs, blocks, pct(blockMs, 50), pct(blockMs, 95), pct(rootMs, 95),
                    oldRootMs.isEmpty() ? Double.NaN : pct(oldRootMs, 95), rss / 1024, live >> 20, storeBytes >> 20);
        } finally {
            store.close();
        }
    }

    /** The incremental root of a block whose diff is {@code diff}, on the tries of the state before it (not yet committed). */
    private static long rootNanos(ChainState chain, StateDiff diff) {
        return chain.read(latest -> {
            StateTries tries = chain.stateTries();
            OverlayWorldState after = new OverlayWorldState(latest);
            OverlayWorldState.applyTo(after, diff);
            long t = System.nanoTime();
            tries.update(after, diff).root();
            return System.nanoTime() - t;
        });
    }

    /**
     * The root as computed before the incremental trie: every account into a rebuilt account trie, storage roots of
     * untouched accounts from a cache, the storage trie of each touched account rebuilt from all its slots.
     */
    private static long fullRebuildNanos(ChainState chain, StateDiff diff) {
        return chain.read(latest -> {
            StateTries tries = chain.stateTries();
            long t = System.nanoTime();
            MerklePatriciaTrie trie = new MerklePatriciaTrie();
            for (Address a : latest.addresses()) {
                Account acc = latest.account(a);
                byte[] storageRoot;
                if (diff.storageWrites().containsKey(a) || diff.storageCleared().contains(a)) {
                    MerklePatriciaTrie st = new MerklePatriciaTrie();
                    for (Map.Entry<Word, Word> e : latest.storageOf(a).entrySet()) {
                        st.put(Keccak.hash(e.getKey().toBytes()), Rlp.encode(Rlp.bytes(e.getValue().toMinimalBytes())));
                    }
                    storageRoot = st.rootHash();
                } else {
                    storageRoot = tries.storage(a).rootHash(); // the old cache's hit
                }
                trie.put(StateRoot.accountKey(a), StateRoot.accountValue(acc, storageRoot));
            }
            byte[] root = trie.rootHash();
            long elapsed = System.nanoTime() - t;
            if (!Arrays.equals(root, chain.head().stateRoot())) throw new IllegalStateException("the full rebuild disagrees with the head's root");
            return elapsed;
        });
    }

    private static double pct(List<Double> xs, int p) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, i)));
    }

    private static long rssKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        return -1;
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
