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
 * {@code ./flotilla bench state}: the cost of a block as the state grows. For each size N it writes N accounts plus an
 * ERC-20 with N holders straight into a RocksDB chain store (import blocks without transactions, in trie-key order),
 * then a member opens that store in its own JVM sized as in a dev4 container (the image's flags, MaxRAM 128 MiB) and
 * builds and commits blocks of 500 token transfers (half to existing holders, half to new ones) through the member's
 * path: {@link BlockExecutor} session, state root, synced commit. Consensus and networking are not part of it (they
 * do not depend on the state's size).
 * <p>Per size, one JSON line: block time p50/p95 (execution + root + commit), the state root's share p95 (the
 * incremental update), the member's RSS, its live heap after a full GC and its maximum heap, and the store's size on
 * disk.
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
        if (args.length > 0 && args[0].equals("--measure")) {
            System.out.println(measure(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4])));
            return;
        }
        List<Integer> sizes = List.of(10_000, 1_000_000);
        int blocks = 20;
        int txs = 500;
        String memory = "128m";
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "flotilla-bench-state");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sizes" -> sizes = Arrays.stream(args[++i].split(",")).map(s -> Integer.parseInt(s.trim().replace("_", ""))).toList();
                case "--blocks" -> blocks = Integer.parseInt(args[++i]);
                case "--txs" -> txs = Integer.parseInt(args[++i]);
                case "--member-memory" -> memory = args[++i];
                case "--dir" -> dir = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (usage: StateBench [--sizes 10000,1000000] [--blocks N] [--txs N] [--member-memory 128m] [--dir D])");
            }
        }
        for (int n : sizes) {
            Path d = dir.resolve("n" + n);
            delete(d);
            try {
                build(n, txs, d);
                // The member runs as in its container: the image's JVM flags with the container's memory as MaxRAM.
                List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC",
                        "-Xss2m", "-XX:MaxRAMPercentage=75", "-XX:NewSize=16m", "-XX:MaxRAM=" + memory, "-XX:+ExitOnOutOfMemoryError",
                        "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), StateBench.class.getName(),
                        "--measure", d.toString(), Integer.toString(n), Integer.toString(blocks), Integer.toString(txs));
                Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
                String line = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
                if (p.waitFor() != 0) throw new IllegalStateException("the member's run failed (exit " + p.exitValue() + ")");
                System.out.println(line);
                System.out.flush();
            } finally {
                delete(d);
            }
        }
    }

    private static Genesis genesis(List<Credentials> senders) {
        Map<Address, GenesisAccount> alloc = new HashMap<>();
        Map<Word, Word> balances = new HashMap<>();
        for (Credentials s : senders) {
            Address a = TestTxs.address(s);
            alloc.put(a, GenesisAccount.funded(BigInteger.TEN.pow(21)));
            balances.put(AttackWorkloads.balanceSlot(a), Word.of(1L << 50));
        }
        alloc.put(TOKEN, new GenesisAccount(BigInteger.ZERO, 1, AttackWorkloads.tokenContract(), balances));
        return new Genesis(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, GWEI), 1_700_000_000L, PROPOSER, new byte[0], alloc);
    }

    private static List<Credentials> senders(int txs) {
        List<Credentials> senders = new ArrayList<>();
        for (int i = 0; i < txs; i++) senders.add(Credentials.create(Hex.encode(Keccak.hash(AttackWorkloads.word(1_000_000L + i)))));
        return senders;
    }

    /** Chunks of the import, in keccak order of the keys: each chunk only extends the right edge of the tries. */
    private static final int CHUNK = 50_000;

    /**
     * Writes {@code n} funded holder accounts and the token's {@code n} balance slots straight into the store (not
     * through transactions): blocks without transactions whose state changes are the import, in chunks sorted by
     * trie key, through the member's own commit path (flat records, trie nodes, one batch per chunk).
     */
    private static void build(int n, int txs, Path dir) {
        if (n > 1 << 20) throw new IllegalArgumentException("at most 1,048,576 holders");
        long t0 = System.nanoTime();
        try (ChainStore store = ChainStore.open(dir)) {
            ChainState chain = ChainState.open(store, genesis(senders(txs)));
            long[] order = sortedByKey(n, i -> Keccak.hash(AttackWorkloads.hashed(HOLDER_TAG, i).toArray()));
            for (int from = 0; from < n; from += CHUNK) {
                Map<Address, Account> accounts = new HashMap<>();
                for (int k = from; k < Math.min(n, from + CHUNK); k++) {
                    accounts.put(AttackWorkloads.hashed(HOLDER_TAG, order[k] & 0xFFFFF), Account.of(0, Word.of(1), new byte[0]));
                }
                commitImport(chain, new StateDiff(accounts, java.util.Set.of(), Map.of()));
            }
            order = sortedByKey(n, i -> Keccak.hash(AttackWorkloads.balanceSlot(AttackWorkloads.hashed(HOLDER_TAG, i)).toBytes()));
            for (int from = 0; from < n; from += CHUNK) {
                Map<Word, Word> slots = new HashMap<>();
                for (int k = from; k < Math.min(n, from + CHUNK); k++) {
                    slots.put(AttackWorkloads.balanceSlot(AttackWorkloads.hashed(HOLDER_TAG, order[k] & 0xFFFFF)), Word.of(1_000));
                }
                commitImport(chain, new StateDiff(Map.of(), java.util.Set.of(), Map.of(TOKEN, slots)));
            }
            log(String.format(Locale.ROOT, "%,d accounts and %,d holders written in %.1f s (%d import blocks)", n + txs, n + txs,
                    (System.nanoTime() - t0) / 1e9, chain.head().number()));
            // A chain writes such a state over months, its store compacting as it goes; the import wrote it in
            // seconds, so its compaction is done here rather than inside the measured blocks.
            long c0 = System.nanoTime();
            store.compact();
            log(String.format(Locale.ROOT, "store compacted in %.1f s", (System.nanoTime() - c0) / 1e9));
        }
    }

    /** Indices 0..n-1 ordered by the first 40 bits of their trie key, as (key prefix << 20 | index). */
    private static long[] sortedByKey(int n, java.util.function.IntFunction<byte[]> key) {
        long[] order = new long[n];
        for (int i = 0; i < n; i++) {
            byte[] h = key.apply(i);
            long prefix = 0;
            for (int b = 0; b < 5; b++) prefix = (prefix << 8) | (h[b] & 0xFF);
            order[i] = (prefix << 20) | i;
        }
        Arrays.sort(order);
        return order;
    }

    private static void commitImport(ChainState chain, StateDiff diff) {
        StateTries.Update update = chain.read(s -> {
            OverlayWorldState after = new OverlayWorldState(s);
            OverlayWorldState.applyTo(after, diff);
            return chain.stateTries().update(after, diff);
        });
        io.flotilla.chain.storage.BlockHeader parent = chain.head();
        io.flotilla.chain.storage.BlockHeader h = new io.flotilla.chain.storage.BlockHeader(parent.hash(), parent.number() + 1,
                parent.timestamp() + 1, update.root(), MerklePatriciaTrie.EMPTY_ROOT.clone(), MerklePatriciaTrie.EMPTY_ROOT.clone(),
                new byte[256], parent.gasLimit(), 0, parent.baseFeePerGas(), PROPOSER, new byte[0], new byte[0]);
        chain.commit(new ExecutedBlock(new io.flotilla.chain.storage.Block(h, List.of()), List.of(), diff, update));
    }

    /** The member's side, in its own JVM sized as in a container: opens the store built above and times blocks. */
    private static String measure(Path dir, int n, int blocks, int txs) throws Exception {
        List<Credentials> senders = senders(txs);
        long t0 = System.nanoTime();
        try (ChainStore store = ChainStore.open(dir)) {
            ChainState chain = ChainState.open(store, genesis(senders));
            log(String.format(Locale.ROOT, "store of %,d accounts opened in %.2f s", n + txs, (System.nanoTime() - t0) / 1e9));
            Random rnd = new Random(n);
            long fresh = 0;
            int warmup = 3;
            List<Double> blockMs = new ArrayList<>();
            List<Double> rootMs = new ArrayList<>();
            List<Double> executeMs = new ArrayList<>(); // the transactions
            List<Double> finishMs = new ArrayList<>(); // receipts and the roots
            List<Double> commitMs = new ArrayList<>(); // the synced write and the tries installed
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
                long applied = System.nanoTime();
                ExecutedBlock executed = s.finish();
                long finished = System.nanoTime();
                // The root's own cost, measured again on the parent's tries (persistent: this changes nothing), outside the block's time.
                double root = rootNanos(chain, executed.stateDiff()) / 1e6;
                long commitStart = System.nanoTime();
                chain.commit(executed);
                long end = System.nanoTime();
                if (b < warmup) continue;
                executeMs.add((applied - start) / 1e6);
                finishMs.add((finished - applied) / 1e6);
                commitMs.add((end - commitStart) / 1e6);
                blockMs.add((finished - start + end - commitStart) / 1e6);
                rootMs.add(root);
            }
            System.gc();
            long live = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            java.lang.ref.Reference.reachabilityFence(chain);
            long rss = rssKib();
            long storeBytes = size(dir);
            return String.format(Locale.ROOT,
                    "{\"bench\":\"state\",\"accounts\":%d,\"holders\":%d,\"txs_per_block\":%d,\"blocks\":%d,\"block_ms_p50\":%.1f,"
                            + "\"block_ms_p95\":%.1f,\"root_ms_p95\":%.1f,\"execute_ms_p50\":%.1f,\"finish_ms_p50\":%.1f,\"commit_ms_p50\":%.1f,"
                            + "\"commit_ms_p95\":%.1f,\"rss_mib\":%d,\"heap_live_mib\":%d,\"heap_max_mib\":%d,\"store_mib\":%d}",
                    n + txs + 1, n + txs, txs, blocks, pct(blockMs, 50), pct(blockMs, 95), pct(rootMs, 95),
                    pct(executeMs, 50), pct(finishMs, 50), pct(commitMs, 50), pct(commitMs, 95),
                    rss / 1024, live >> 20, Runtime.getRuntime().maxMemory() >> 20, storeBytes >> 20);
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
