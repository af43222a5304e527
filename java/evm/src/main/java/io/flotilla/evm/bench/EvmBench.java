package io.flotilla.evm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.InMemoryWorldState;
import io.flotilla.evm.state.StateRoot;
import io.flotilla.evm.tx.Transaction;
import io.flotilla.evm.tx.TransactionProcessor;
import io.flotilla.evm.tx.TxOutcome;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import io.flotilla.evm.vm.BlockEnv;
import io.flotilla.evm.vm.ContractAddress;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./flotilla bench evm}, Java side: EVM throughput of {@link TransactionProcessor} on an {@link InMemoryWorldState},
 * one JSON line per workload on stdout.
 *
 * <p>Each workload is a fixed list of transactions cut into blocks of a fixed number of transactions. One iteration
 * starts from a fresh genesis state (built outside the timed region), processes every transaction and computes the
 * state root ({@link StateRoot#compute}) once at the end of every block; the timed region is exactly that. Transactions
 * are built before timing (no parsing or signature recovery is timed: {@code Transaction.sender} is given). Warm-up
 * iterations run until {@code --warmup-seconds} have passed (at least two), then {@code --iterations} measured ones.
 * {@code gas} is the sum of the receipts' gasUsed (after refunds), as a block's gasUsed would be.
 *
 * <p>Options: {@code --artifacts DIR} (Hardhat artifacts, default {@code artifacts}), {@code --warmup-seconds S}
 * (default 4), {@code --iterations N} (default 5), {@code --workloads a,b,...} (default all:
 * arith-loop, keccak-loop, storage-rw, erc20-transfer), {@code --erc20-blocks N} and {@code --erc20-txs-per-block N}
 * (defaults 8 and 500, the same as deploy/bench-evm.js), {@code --export FILE} (write the synthetic workloads' code and
 * transactions as JSON for deploy/bench-evm.js, which replays them on Hardhat's network).
 */
public final class EvmBench {
    /** Hardhat's first default account, so the token lands at the same address as on the Hardhat network. */
    static final Address SENDER = Address.fromHex("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    static final Address CONTRACT = Address.fromHex("0x00000000000000000000000000000000000b3c40");
    static final Address COINBASE = Address.fromHex("0x00000000000000000000000000000000000000cb");
    static final long BLOCK_GAS_LIMIT = 60_000_000L;
    static final BigInteger BASE_FEE = BigInteger.valueOf(1_000_000_000L);
    static final BigInteger MAX_FEE = BigInteger.valueOf(4_000_000_000L);
    static final BigInteger TIP = BigInteger.ONE;
    static final BigInteger ETHER = BigInteger.TEN.pow(18);
    static final BigInteger TOKEN_SUPPLY = BigInteger.TEN.pow(27);
    /** Recipient i of the ERC-20 workload is the address with numeric value RECIPIENT_BASE + i (same in the JS script). */
    static final long RECIPIENT_BASE = 0x100000L;
    static final long ERC20_TX_GAS = 100_000L;

    /** A workload: its genesis, its transactions, and how they are cut into blocks. */
    record Workload(String name, String description, Genesis genesis, List<Transaction> txs, int txsPerBlock, byte[] code) {
    }

    interface Genesis {
        void build(InMemoryWorldState world, TransactionProcessor processor);
    }

    record Result(long txs, long gas, long nanos, long rootNanos, int blocks) {
    }

    public static void main(String[] args) throws IOException {
        Path artifacts = Path.of("artifacts");
        double warmupSeconds = 4;
        int iterations = 5;
        int erc20Blocks = 8;
        int erc20TxsPerBlock = 500;
        Path export = null;
        List<String> selected = List.of("arith-loop", "keccak-loop", "storage-rw", "erc20-transfer");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--artifacts" -> { artifacts = Path.of(need(a, v)); i++; }
                case "--warmup-seconds" -> { warmupSeconds = Double.parseDouble(need(a, v)); i++; }
                case "--iterations" -> { iterations = Integer.parseInt(need(a, v)); i++; }
                case "--workloads" -> { selected = Arrays.asList(need(a, v).split(",")); i++; }
                case "--erc20-blocks" -> { erc20Blocks = Integer.parseInt(need(a, v)); i++; }
                case "--erc20-txs-per-block" -> { erc20TxsPerBlock = Integer.parseInt(need(a, v)); i++; }
                case "--export" -> { export = Path.of(need(a, v)); i++; }
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        List<Workload> exported = new ArrayList<>();
        for (String name : selected) {
            Workload w = switch (name) {
                case "arith-loop" -> arithLoop();
                case "keccak-loop" -> keccakLoop();
                case "storage-rw" -> storageReadWrite();
                case "erc20-transfer" -> erc20(artifacts, erc20Blocks, erc20TxsPerBlock);
                default -> throw new IllegalArgumentException("unknown workload " + name);
            };
            run(w, warmupSeconds, iterations);
            if (w.code != null) exported.add(w);
        }
        if (export != null) export(export, exported);
    }

    /**
     * Writes the synthetic workloads (runtime code, contract address, per-tx gas limit and calldata, block size) as JSON
     * so deploy/bench-evm.js can replay the very same transactions on Hardhat's network.
     */
    static void export(Path file, List<Workload> workloads) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        var root = mapper.createObjectNode();
        root.put("sender", SENDER.toString());
        var list = root.putArray("workloads");
        for (Workload w : workloads) {
            var node = list.addObject();
            node.put("workload", w.name);
            node.put("description", w.description);
            node.put("address", CONTRACT.toString());
            node.put("code", Hex.encode(w.code));
            node.put("txs_per_block", w.txsPerBlock);
            var txs = node.putArray("txs");
            for (Transaction t : w.txs) {
                txs.addObject().put("gas", t.gasLimit().longValueExact()).put("data", Hex.encode(t.data()));
            }
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        mapper.writeValue(file.toFile(), root);
    }

    private static String need(String option, String value) {
        if (value == null) throw new IllegalArgumentException(option + " needs a value");
        return value;
    }

    // ------------------------------------------------------------------ harness

    static void run(Workload w, double warmupSeconds, int iterations) {
        TransactionProcessor processor = new TransactionProcessor();
        long warmStart = System.nanoTime();
        int warm = 0;
        while (warm < 2 || System.nanoTime() - warmStart < (long) (warmupSeconds * 1e9)) {
            iteration(w, processor);
            warm++;
        }
        long txs = 0, gas = 0, nanos = 0, rootNanos = 0, blocks = 0;
        double min = Double.MAX_VALUE, max = 0;
        for (int i = 0; i < iterations; i++) {
            Result r = iteration(w, processor);
            txs += r.txs;
            gas += r.gas;
            nanos += r.nanos;
            rootNanos += r.rootNanos;
            blocks += r.blocks;
            double m = r.gas / (r.nanos / 1e3);
            min = Math.min(min, m);
            max = Math.max(max, m);
        }
        double seconds = nanos / 1e9;
        System.out.println(String.format(Locale.ROOT,
                "{\"bench\":\"evm\",\"workload\":\"%s\",\"engine\":\"flotilla-evm\",\"txs\":%d,\"gas\":%d,\"seconds\":%.3f,"
                        + "\"mgas_per_s\":%.1f,\"mgas_per_s_min\":%.1f,\"mgas_per_s_max\":%.1f,\"mgas_per_s_without_root\":%.1f,"
                        + "\"root_seconds\":%.3f,\"blocks\":%d,\"txs_per_block\":%d,\"gas_per_tx\":%d,\"iterations\":%d,"
                        + "\"warmup_iterations\":%d,\"jvm\":\"%s\",\"cpus\":%d,\"load_avg_1m\":%.2f,\"description\":\"%s\"}",
                w.name, txs, gas, seconds, gas / (nanos / 1e3), min, max, gas / ((nanos - rootNanos) / 1e3),
                rootNanos / 1e9, blocks, w.txsPerBlock, gas / txs, iterations, warm,
                Runtime.version(), Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), w.description));
        System.out.flush();
    }

    /** One iteration from a fresh genesis; only transaction processing and the per-block state roots are timed. */
    static Result iteration(Workload w, TransactionProcessor processor) {
        InMemoryWorldState world = new InMemoryWorldState();
        w.genesis.build(world, processor);
        List<Transaction> txs = w.txs;
        int perBlock = w.txsPerBlock;
        long gas = 0, rootNanos = 0;
        int blocks = 0;
        byte[] root = null;
        long start = System.nanoTime();
        for (int from = 0; from < txs.size(); from += perBlock) {
            BlockEnv env = block(blocks + 1);
            int to = Math.min(txs.size(), from + perBlock);
            for (int i = from; i < to; i++) {
                TxOutcome o = processor.process(world, env, txs.get(i));
                if (!(o instanceof TxOutcome.Included inc) || !inc.receipt().success()) {
                    throw new IllegalStateException(w.name + ": transaction " + i + " failed: " + o);
                }
                gas += inc.receipt().gasUsed();
            }
            long r0 = System.nanoTime();
            root = StateRoot.compute(world);
            rootNanos += System.nanoTime() - r0;
            blocks++;
        }
        long nanos = System.nanoTime() - start;
        if (root == null || root.length != 32) throw new IllegalStateException("no state root");
        return new Result(txs.size(), gas, nanos, rootNanos, blocks);
    }

    static BlockEnv block(long number) {
        return new BlockEnv(COINBASE, number, 1_700_000_000L + 12 * number, BLOCK_GAS_LIMIT, Word.fromBigInteger(BASE_FEE),
                Word.of(number * 7919), 31337, 0, n -> Word.ZERO);
    }

    static Transaction call(long nonce, long gasLimit, Address to, byte[] data) {
        return new Transaction(2, SENDER, nonce, BigInteger.valueOf(gasLimit), null, MAX_FEE, TIP, to, BigInteger.ZERO, data,
                List.of(), BigInteger.ZERO, List.of());
    }

    static void fundSender(InMemoryWorldState world) {
        world.putAccount(SENDER, Account.of(0, Word.fromBigInteger(ETHER.multiply(BigInteger.valueOf(1_000_000))), new byte[0]));
    }

    /** Genesis with the funded sender and {@code code} at {@link #CONTRACT}. */
    static Genesis withContract(byte[] code) {
        return (world, processor) -> {
            fundSender(world);
            world.putAccount(CONTRACT, Account.of(1, Word.ZERO, code));
        };
    }

    static byte[] words(long... values) {
        byte[] out = new byte[32 * values.length];
        for (int i = 0; i < values.length; i++) {
            byte[] w = Word.of(values[i]).toBytes();
            System.arraycopy(w, 0, out, 32 * i, 32);
        }
        return out;
    }

    // ------------------------------------------------------------------ workloads

    static final int ADD = 0x01, MUL = 0x02, SUB = 0x03, DIV = 0x04, MOD = 0x06, XOR = 0x18, SHR = 0x1c, KECCAK256 = 0x20,
            CALLDATALOAD = 0x35, POP = 0x50, MSTORE = 0x52, SLOAD = 0x54, SSTORE = 0x55, JUMPI = 0x57, DUP1 = 0x80,
            DUP2 = 0x81, SWAP1 = 0x90, RETURN = 0xf3, STOP = 0x00;

    /**
     * 256-bit arithmetic in a loop: per iteration x = x*K1 + K2; x ^= x >> 7; x += x mod P; x ^= x / 3; n -= 1.
     * Calldata: n. Returns x.
     */
    static Workload arithLoop() {
        byte[] code = new Asm()
                .push(0).op(CALLDATALOAD)                                     // [n]
                .push32("9e3779b97f4a7c15f39cc0605cedc8341082276bf3a27251f86c6a11d0c18e95") // [n, x]
                .label("loop")
                .push32("5851f42d4c957f2d14057b7ef767814f0000000000000001d1b54a32d192ed03").op(MUL)
                .push32("00000000000000000000000000000000b5026f5aa96619e9ffffffffffffffc5").op(ADD)
                .op(DUP1).push(7).op(SHR, XOR)
                .op(DUP1).push(0xffffffffffffffc5L).op(SWAP1, MOD, ADD)
                .push(3).op(DUP2, DIV, XOR)                                    // [n, x']
                .op(SWAP1).push(1).op(SWAP1, SUB)                              // [x', n-1]
                .op(SWAP1, DUP2).pushLabel("loop").op(JUMPI)                   // [n-1, x']
                .push(0).op(MSTORE, POP).push(32).push(0).op(RETURN)
                .build();
        List<Transaction> txs = new ArrayList<>();
        for (int i = 0; i < 60; i++) txs.add(call(i, 3_000_000, CONTRACT, words(25_000)));
        return new Workload("arith-loop", "25,000 iterations of MUL/ADD/SHR/XOR/MOD/DIV on 256-bit words per tx", withContract(code), txs, 10, code);
    }

    /** Chained keccak256 over 64 bytes of memory: h = keccak(mem[0:64]); mem[0:32] = h; n times. Calldata: n. */
    static Workload keccakLoop() {
        byte[] code = new Asm()
                .push32("6a09e667f3bcc908bb67ae8584caa73b3c6ef372fe94f82ba54ff53a5f1d36f1").push(0).op(MSTORE)
                .push32("510e527fade682d19b05688c2b3e6c1f1f83d9abfb41bd6b5be0cd19137e2179").push(32).op(MSTORE)
                .push(0).op(CALLDATALOAD)                                      // [n]
                .label("loop")
                .push(64).push(0).op(KECCAK256).push(0).op(MSTORE)             // [n]
                .push(1).op(SWAP1, SUB)                                        // [n-1]
                .op(DUP1).pushLabel("loop").op(JUMPI)
                .op(POP).push(32).push(0).op(RETURN)
                .build();
        List<Transaction> txs = new ArrayList<>();
        for (int i = 0; i < 60; i++) txs.add(call(i, 3_000_000, CONTRACT, words(30_000)));
        return new Workload("keccak-loop", "30,000 chained keccak256 of 64 bytes per tx", withContract(code), txs, 10, code);
    }

    /**
     * Read-modify-write of k storage slots per tx: for i in k..1: s[base+i] += 1. Calldata: base, k. Tx j uses
     * base = (j mod 16) * k, so the first 16 txs of a run create slots (cold, zero to non-zero) and the rest update them
     * (cold, non-zero to non-zero).
     */
    static Workload storageReadWrite() {
        byte[] code = new Asm()
                .push(32).op(CALLDATALOAD)                                     // [k]
                .label("loop")
                .op(DUP1).push(0).op(CALLDATALOAD, ADD)                        // [k, slot]
                .op(DUP1, SLOAD).push(1).op(ADD)                               // [k, slot, v+1]
                .op(SWAP1, SSTORE)                                             // [k]
                .push(1).op(SWAP1, SUB)                                        // [k-1]
                .op(DUP1).pushLabel("loop").op(JUMPI)
                .op(STOP)
                .build();
        int k = 100;
        List<Transaction> txs = new ArrayList<>();
        for (int i = 0; i < 400; i++) txs.add(call(i, 2_500_000, CONTRACT, words((long) (i % 16) * k, k)));
        return new Workload("storage-rw", "100 SLOAD+SSTORE per tx on 1,600 slots; 16 of 400 txs create slots, the rest update",
                withContract(code), txs, 10, code);
    }

    /**
     * OpenZeppelin ERC-20 transfers (contracts/bench/BenchToken.sol, bytecode read from the Hardhat artifact):
     * the deployer sends 1 token to a fresh recipient per tx (recipient i = RECIPIENT_BASE + i).
     */
    static Workload erc20(Path artifacts, int blocks, int perBlock) throws IOException {
        Path file = artifacts.resolve("contracts/bench/BenchToken.sol/BenchToken.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException(file + " not found: run `npx hardhat compile` in the repository root first");
        }
        JsonNode artifact = new ObjectMapper().readTree(file.toFile());
        byte[] creation = Hex.decode(artifact.get("bytecode").asText());
        byte[] init = new byte[creation.length + 32];
        System.arraycopy(creation, 0, init, 0, creation.length);
        System.arraycopy(Word.fromBigInteger(TOKEN_SUPPLY).toBytes(), 0, init, creation.length, 32);
        Transaction deploy = new Transaction(2, SENDER, 0, BigInteger.valueOf(3_000_000), null, MAX_FEE, TIP, null, BigInteger.ZERO,
                init, List.of(), BigInteger.ZERO, List.of());
        Address token = ContractAddress.create(SENDER, 0);
        Genesis genesis = (world, processor) -> {
            fundSender(world);
            TxOutcome o = processor.process(world, block(0), deploy);
            if (!(o instanceof TxOutcome.Included inc) || !inc.receipt().success() || world.account(token).code().length == 0) {
                throw new IllegalStateException("BenchToken deployment failed: " + o);
            }
        };
        byte[] selector = Arrays.copyOf(Keccak.hash("transfer(address,uint256)".getBytes()), 4);
        List<Transaction> txs = new ArrayList<>();
        int n = blocks * perBlock;
        for (int i = 0; i < n; i++) {
            byte[] data = new byte[4 + 64];
            System.arraycopy(selector, 0, data, 0, 4);
            System.arraycopy(Word.of(RECIPIENT_BASE + i).toBytes(), 0, data, 4, 32);
            System.arraycopy(Word.fromBigInteger(ETHER).toBytes(), 0, data, 36, 32);
            txs.add(call(1 + i, ERC20_TX_GAS, token, data));
        }
        return new Workload("erc20-transfer", "OpenZeppelin ERC20.transfer of 1 token to a fresh recipient per tx, token " + token,
                genesis, txs, perBlock, null);
    }
}
