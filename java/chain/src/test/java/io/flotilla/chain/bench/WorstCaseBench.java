package io.flotilla.chain.bench;

import io.flotilla.chain.bench.AttackWorkloads.Workload;
import io.flotilla.chain.execution.BlockExecutor;
import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.ExecutedBlock;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.execution.Genesis.GenesisAccount;
import io.flotilla.chain.execution.TxApplyResult;
import io.flotilla.chain.storage.BlockHeader;
import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.chain.tx.TxDecoder;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.InMemoryWorldState;
import io.flotilla.chain.execution.StateTries;
import io.flotilla.evm.trie.MerklePatriciaTrie;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;

/**
 * {@code ./flotilla bench worstcase}: the worst-case execution budget. Each workload fills one 30 M-gas block with the
 * transactions an attacker would send (attack contracts in raw bytecode, deployed in the genesis state) and the block
 * is executed through {@link BlockExecutor} as a validator verifies it: every transaction applied, then
 * {@code finish()} (receipts, transactions and state roots), on one thread. The first execution builds the block as
 * a proposer would (and warms the JIT), then come more warm-up executions and the measured ones; each starts from
 * the same committed state. Prints one JSON line per workload on stdout; progress goes to stderr.
 *
 * <p>Transaction decoding and sender recovery (done when a block is received) are not timed.
 *
 * <p>Options: {@code --warmup N} (executions before measuring, the proposer's included; default 2), {@code --runs N}
 * (measured; default 3), {@code --only a,b} (workloads whose name contains one of these), {@code --kzg-vectors FILE}
 * (the Ethereum tests' point_evaluation_precompile_external_vectors.json, read for a valid point-evaluation input),
 * {@code --large-scale F} (scales the large state's populations, default 1).
 */
public final class WorstCaseBench {
    static final long CHAIN_ID = TestTxs.CHAIN_ID;
    static final long GAS_LIMIT = ChainConfig.DEFAULT_GAS_LIMIT;
    static final double GOAL_MGAS_PER_S = 30.0;
    static final int SENDERS = 64;
    /** A proposer's pass slower than this closes the block early and is the only measurement. */
    static final long SLOW_BLOCK_NANOS = 8_000_000_000L;
    private static final BigInteger GAS_PRICE = TestTxs.GWEI;
    private static final ChainConfig CONFIG = new ChainConfig(CHAIN_ID, GAS_LIMIT, GAS_PRICE);
    private static final Address PROPOSER = Address.fromHex("0x00000000000000000000000000000000000000b0");
    private static final List<Credentials> KEYS = new ArrayList<>();

    static {
        for (int k = 0; k < SENDERS; k++) KEYS.add(Credentials.create(ECKeyPair.create(BigInteger.valueOf(0xB0B_000 + k))));
    }

    /** A committed state to build blocks on: the world, the parent header and cached storage roots (as a node keeps them). */
    private record Base(InMemoryWorldState world, BlockHeader parent, int accounts, StateTries tries) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>(Map.of("--warmup", "2", "--runs", "3", "--only", "", "--large-scale", "1"));
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--") && i + 1 < args.length) o.put(args[i], args[++i]);
            else throw new IllegalArgumentException("unknown argument " + args[i]);
        }
        int[] status = {0};
        Throwable[] failure = {null};
        // Deep call chains recurse on the Java stack: run on a thread with a large one.
        Thread t = new Thread(null, () -> {
            try {
                status[0] = new WorstCaseBench().run(o);
            } catch (Throwable e) {
                failure[0] = e;
            }
        }, "worstcase", 256L << 20);
        t.start();
        t.join();
        if (failure[0] != null) {
            log("failed: " + failure[0]);
            failure[0].printStackTrace();
            System.exit(1);
        }
        System.exit(status[0]);
    }

    private static void log(String message) {
        System.err.println("bench worstcase: " + message);
    }

    private int run(Map<String, String> o) throws Exception {
        long began = System.nanoTime();
        int warmup = Math.max(1, Integer.parseInt(o.get("--warmup")));
        int runs = Math.max(1, Integer.parseInt(o.get("--runs")));
        List<String> only = o.get("--only").isBlank() ? List.of() : List.of(o.get("--only").split(","));
        double scale = Double.parseDouble(o.get("--large-scale"));
        Path kzg = o.containsKey("--kzg-vectors") ? Path.of(o.get("--kzg-vectors")) : null;

        List<Workload> workloads = new ArrayList<>();
        for (Workload w : new AttackWorkloads(kzg).build()) {
            if (only.isEmpty() || only.stream().anyMatch(w.name()::contains)) workloads.add(w);
        }
        Base large = null;
        boolean ok = true;
        for (Workload w : workloads) {
            Base base = switch (w.state()) {
                case SMALL -> load(smallGenesis(w));
                case LARGE -> large != null ? large : (large = largeState(scale));
                case CONSECUTIVE -> consecutiveState();
            };
            System.gc();
            ok &= measure(w, base, warmup, runs);
        }
        log(String.format("done in %.0f s", (System.nanoTime() - began) / 1e9));
        return ok ? 0 : 1;
    }

    // ---------------------------------------------------------------- states

    private static Map<Address, GenesisAccount> fundedSenders() {
        Map<Address, GenesisAccount> alloc = new LinkedHashMap<>();
        for (Credentials k : KEYS) alloc.put(Address.fromHex(k.getAddress()), GenesisAccount.funded(TestTxs.ETHER.multiply(BigInteger.valueOf(1_000_000))));
        return alloc;
    }

    private static Genesis genesis(Map<Address, GenesisAccount> alloc) {
        return new Genesis(CONFIG, 0, Address.of(new byte[20]), new byte[0], alloc);
    }

    /** The attacker's senders and the workload's contracts (the small token holds the senders' balances). */
    private static Genesis smallGenesis(Workload w) {
        Map<Address, GenesisAccount> alloc = fundedSenders();
        alloc.putAll(w.accounts());
        if (w.target().equals(AttackWorkloads.TOKEN)) alloc.put(AttackWorkloads.TOKEN, token(List.of()));
        if (w.target().equals(AttackWorkloads.SPRAY)) alloc.put(AttackWorkloads.SPRAY, spray());
        return genesis(alloc);
    }

    private static GenesisAccount spray() {
        return new GenesisAccount(TestTxs.ETHER, 1, AttackWorkloads.sprayContract(), Map.of());
    }

    /** The senders, the spray contract and {@link AttackWorkloads#CONSECUTIVE} EOAs at consecutive addresses. */
    private static Base consecutiveState() {
        long t0 = System.nanoTime();
        Map<Address, GenesisAccount> alloc = fundedSenders();
        alloc.put(AttackWorkloads.SPRAY, spray());
        for (int i = 0; i < AttackWorkloads.CONSECUTIVE; i++) {
            alloc.put(AttackWorkloads.address(AttackWorkloads.CONSECUTIVE_BASE, i), GenesisAccount.funded(BigInteger.ONE));
        }
        Base base = load(genesis(alloc));
        log(String.format("consecutive state: %d accounts, built with its state root in %.1f s", base.accounts(), (System.nanoTime() - t0) / 1e9));
        return base;
    }

    private static GenesisAccount token(List<Address> holders) {
        Map<Word, Word> balances = new HashMap<>();
        for (Credentials k : KEYS) balances.put(AttackWorkloads.balanceSlot(Address.fromHex(k.getAddress())), Word.of(1L << 60));
        for (Address h : holders) balances.put(AttackWorkloads.balanceSlot(h), Word.of(1_000));
        return new GenesisAccount(BigInteger.ZERO, 1, AttackWorkloads.tokenContract(), balances);
    }

    /**
     * Many accounts: EOAs, contracts with 24 KiB code (the first ones each with their own code), a contract with many
     * slots, a token with many holders, and the lookup contract of the cold-access workloads.
     */
    private static Base largeState(double scale) {
        long t0 = System.nanoTime();
        int eoas = (int) (AttackWorkloads.EOAS * scale);
        int contracts = (int) (AttackWorkloads.CONTRACTS * scale);
        int unique = Math.min(contracts, AttackWorkloads.UNIQUE_CODE_CONTRACTS);
        int slots = (int) (AttackWorkloads.SLOTS * scale);
        int holders = (int) (AttackWorkloads.HOLDERS * scale);
        Map<Address, GenesisAccount> alloc = fundedSenders();
        for (int i = 0; i < eoas; i++) alloc.put(AttackWorkloads.hashed(AttackWorkloads.EOA_TAG, i), GenesisAccount.funded(BigInteger.ONE));
        byte[] shared = AttackWorkloads.bigCode(-1);
        for (int i = 0; i < contracts; i++) {
            byte[] code = i < unique ? AttackWorkloads.bigCode(i) : shared;
            alloc.put(AttackWorkloads.hashed(AttackWorkloads.CONTRACT_TAG, i), new GenesisAccount(BigInteger.ZERO, 1, code, Map.of()));
        }
        Map<Word, Word> storage = new HashMap<>();
        for (int i = 0; i < slots; i++) storage.put(Word.of(i), Word.of(i + 1));
        alloc.put(AttackWorkloads.STORAGE_CONTRACT, new GenesisAccount(BigInteger.ZERO, 1, AttackWorkloads.storageContract(), storage));
        alloc.put(AttackWorkloads.LOOKUP_CONTRACT, new GenesisAccount(BigInteger.ZERO, 1, AttackWorkloads.lookupContract(), Map.of()));
        List<Address> tokenHolders = new ArrayList<>();
        for (int i = 0; i < holders; i++) tokenHolders.add(AttackWorkloads.hashed(AttackWorkloads.EOA_TAG, i));
        alloc.put(AttackWorkloads.BIG_TOKEN, token(tokenHolders));
        Base base = load(genesis(alloc));
        log(String.format("large state: %d accounts (%d EOAs, %d contracts of 24 KiB, %d with their own code), %d + %d slots;"
                + " built with its state root in %.1f s", base.accounts(), eoas, contracts, unique, slots, holders + SENDERS, (System.nanoTime() - t0) / 1e9));
        return base;
    }

    /**
     * Genesis allocation to a committed world state and a block-0 header (as ChainState.genesisBlock, but hashing each
     * code array once: many contracts of the large state share one).
     */
    private static Base load(Genesis g) {
        InMemoryWorldState world = new InMemoryWorldState();
        Map<byte[], byte[]> codeHashes = new IdentityHashMap<>();
        for (Map.Entry<Address, GenesisAccount> e : g.alloc().entrySet()) {
            GenesisAccount a = e.getValue();
            byte[] hash = a.code().length == 0 ? Keccak.EMPTY : codeHashes.computeIfAbsent(a.code(), Keccak::hash);
            world.putAccount(e.getKey(), new Account(a.nonce(), Word.fromBigInteger(a.balance()), a.code(), hash));
            a.storage().forEach((k, v) -> world.putStorage(e.getKey(), k, v));
        }
        ChainConfig c = g.config();
        StateTries tries = StateTries.build(world);
        BlockHeader parent = new BlockHeader(new byte[32], 0, g.timestamp(), tries.root(), MerklePatriciaTrie.EMPTY_ROOT.clone(),
                MerklePatriciaTrie.EMPTY_ROOT.clone(), new byte[256], c.gasLimit(), 0, c.baseFee(), g.proposer(), g.extraData(), new byte[0]);
        return new Base(world, parent, world.addresses().size(), tries);
    }

    // ---------------------------------------------------------------- execution

    private record Execution(long nanos, long finishNanos, ExecutedBlock block) {
    }

    private static BlockExecutor.Session begin(BlockExecutor executor, Base base) {
        return executor.begin(base.parent(), base.world(), base.parent().timestamp() + 1, PROPOSER, new byte[0], n -> Word.ZERO, base.tries());
    }

    /** The proposer's pass: the transactions that fill the block, and the time spent executing them (signing excluded). */
    private record Proposal(List<SignedTransaction> txs, Execution execution, boolean cut) {
    }

    /**
     * Signs and offers transactions until the block is full, or until executing them took {@code budgetNanos} (a
     * very slow workload then measures a partial block).
     */
    private static Proposal propose(BlockExecutor executor, Base base, Workload w, long budgetNanos) throws Exception {
        TxDecoder decoder = new TxDecoder(CHAIN_ID, true);
        long t0 = System.nanoTime();
        BlockExecutor.Session s = begin(executor, base);
        long executing = System.nanoTime() - t0;
        List<SignedTransaction> txs = new ArrayList<>();
        long[] nonces = new long[w.senders()];
        boolean cut = false;
        for (int i = 0; s.gasRemaining() >= w.minTxGas(); i++) {
            if (executing > budgetNanos) {
                cut = true;
                break;
            }
            long gas = Math.min(w.txGas(), s.gasRemaining());
            int k = i % w.senders();
            byte[] raw = TestTxs.legacy(KEYS.get(k), CHAIN_ID, nonces[k], GAS_PRICE, gas, w.target().toString(), BigInteger.ZERO,
                    Hex.encode(w.calldata().apply(i)));
            SignedTransaction tx = decoder.decode(raw);
            long t1 = System.nanoTime();
            TxApplyResult r = s.apply(tx);
            executing += System.nanoTime() - t1;
            if (!(r instanceof TxApplyResult.Included)) throw new IllegalStateException("transaction " + i + " not included: " + r);
            nonces[k]++;
            txs.add(tx);
        }
        long t2 = System.nanoTime();
        ExecutedBlock b = s.finish();
        long finish = System.nanoTime() - t2;
        return new Proposal(txs, new Execution(executing + finish, finish, b), cut);
    }

    /** The validator's pass: every transaction, then the roots; timed. */
    private static Execution execute(BlockExecutor executor, Base base, List<SignedTransaction> txs) {
        long t0 = System.nanoTime();
        BlockExecutor.Session s = begin(executor, base);
        for (SignedTransaction tx : txs) {
            TxApplyResult r = s.apply(tx);
            if (!(r instanceof TxApplyResult.Included)) throw new IllegalStateException("transaction " + tx.hashHex() + " not included: " + r);
        }
        long t1 = System.nanoTime();
        ExecutedBlock b = s.finish();
        long t2 = System.nanoTime();
        return new Execution(t2 - t0, t2 - t1, b);
    }

    private boolean measure(Workload w, Base base, int warmup, int runs) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("bench", "worstcase");
        line.put("workload", w.name());
        BlockExecutor executor = new BlockExecutor(CONFIG);
        try {
            Proposal proposal = propose(executor, base, w, SLOW_BLOCK_NANOS);
            List<SignedTransaction> txs = proposal.txs();
            List<Execution> measured = new ArrayList<>();
            if (proposal.execution().nanos() > SLOW_BLOCK_NANOS / 2) {
                // Very slow (seconds per block): the proposer's pass is the measurement, so the run stays within minutes.
                measured.add(proposal.execution());
            } else {
                for (int i = 1; i < warmup; i++) execute(executor, base, txs);
                for (int i = 0; i < runs; i++) measured.add(execute(executor, base, txs));
            }
            ExecutedBlock b = measured.get(0).block();
            long gas = b.block().header().gasUsed();
            long[] nanos = measured.stream().mapToLong(Execution::nanos).sorted().toArray();
            long[] finish = measured.stream().mapToLong(Execution::finishNanos).sorted().toArray();
            double median = nanos[nanos.length / 2] / 1e6;
            double worst = nanos[nanos.length - 1] / 1e6;
            double mgas = gas / 1e3 / median;
            line.put("gas", gas);
            line.put("txs", txs.size());
            line.put("ms", round(median));
            line.put("mgas_per_s", round(mgas));
            line.put("meets_goal", mgas >= GOAL_MGAS_PER_S);
            line.put("ms_worst", round(worst));
            line.put("mgas_per_s_worst", round(gas / 1e3 / worst));
            line.put("finish_ms", round(finish[finish.length / 2] / 1e6));
            line.put("runs", measured.size());
            if (proposal.cut()) {
                // The block was closed early: the time a full block would take at the same rate.
                line.put("partial_block", true);
                line.put("full_block_ms_est", Math.round(median * GAS_LIMIT / gas));
            }
            line.put("failed_txs", b.receipts().stream().filter(r -> !r.success()).count());
            line.put("logs", b.receipts().stream().mapToInt(r -> r.logs().size()).sum());
            line.put("accounts", base.accounts());
            log(String.format("%-34s %,11d gas %5d txs %8.1f ms (worst %8.1f, finish %7.1f) %7.1f Mgas/s%s", w.name(), gas, txs.size(), median, worst,
                    finish[finish.length / 2] / 1e6, mgas, mgas >= GOAL_MGAS_PER_S ? "" : "  BELOW GOAL"));
            System.out.println(Rpc.JSON.writeValueAsString(line));
            return true;
        } catch (Exception | StackOverflowError e) {
            // Recorded, not fatal: the EVM may throw on pathological inputs.
            line.put("error", e.toString());
            log(w.name() + " failed: " + e);
            e.printStackTrace();
            try {
                System.out.println(Rpc.JSON.writeValueAsString(line));
            } catch (Exception ignored) {
                System.out.println("{\"bench\":\"worstcase\",\"workload\":\"" + w.name() + "\",\"error\":\"see stderr\"}");
            }
            return false;
        }
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
