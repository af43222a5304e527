package io.flotilla.chain.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.ExecutedBlock;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.execution.TestContract;
import io.flotilla.chain.execution.TraceConfig;
import io.flotilla.chain.execution.TraceRequest;
import io.flotilla.chain.execution.Tracing;
import io.flotilla.chain.execution.TxApplyResult;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.chain.tx.TxDecoder;
import io.flotilla.evm.trace.StructLogger;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.vm.ContractAddress;
import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.web3j.crypto.Credentials;

/**
 * {@code ./flotilla bench trace}: the cost of debug_traceBlockByNumber on a full 30 M-gas block, one JSON line per
 * workload and tracer: wall time of the trace (re-execution on the parent's state included, JSON serialization
 * excluded), bytes the tracing thread allocated, heap the answer holds until sent (measured after a GC in the warm-up
 * run), the answer's JSON size, or the error when a limit stopped it.
 * Workloads: {@code calls} (about a thousand calls that write storage and log, from 16 senders) and {@code loop}
 * (one transaction spinning on arithmetic for 30 M gas: millions of instructions, the struct logger's worst case).
 * Each trace runs once to warm up, then {@code --runs} times (default 3); the fastest run is reported.
 */
public final class TraceBench {
    private static final long CHAIN_ID = TestTxs.CHAIN_ID;
    private static final BigInteger GAS_PRICE = TestTxs.GWEI;
    /** PUSH1 0 ; JUMPDEST ; PUSH1 1 ADD ; DUP1 PUSH1 3 MUL POP ; PUSH1 2 JUMP: counts until out of gas. */
    private static final String LOOP_RUNTIME = "60005b600101806003025060025600";
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int runs = 3;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--runs")) runs = Integer.parseInt(args[++i]);
            else throw new IllegalArgumentException("unknown argument " + args[i] + " (usage: TraceBench [--runs N])");
        }
        List<Credentials> keys = new ArrayList<>();
        Map<Address, BigInteger> alloc = new LinkedHashMap<>();
        for (int i = 0; i < 17; i++) { // 16 senders of calls, one for the looping transaction
            Credentials c = Credentials.create(BigInteger.valueOf(0x7ace0000L + i).toString(16));
            keys.add(c);
            alloc.put(TestTxs.address(c), TestTxs.ETHER.multiply(BigInteger.valueOf(1000)));
        }
        Path dir = Files.createTempDirectory("flotilla-bench-trace");
        try (ChainStore store = ChainStore.open(dir)) {
            ChainState chain = ChainState.open(store, Genesis.of(new ChainConfig(CHAIN_ID, 30_000_000L, GAS_PRICE), alloc));
            TxDecoder decoder = chain.decoder();
            long[] nonces = new long[keys.size()];
            Address sender0 = TestTxs.address(keys.get(0));
            String contract = ContractAddress.create(sender0, 0).toString();
            String loop = ContractAddress.create(sender0, 1).toString();
            String loopInit = String.format("60%02x600c60003960%02x6000f3", LOOP_RUNTIME.length() / 2, LOOP_RUNTIME.length() / 2) + LOOP_RUNTIME;
            List<byte[]> setup = List.of(
                    TestTxs.legacy(keys.get(0), CHAIN_ID, nonces[0]++, GAS_PRICE, 500_000, null, BigInteger.ZERO, "0x" + TestContract.INIT),
                    TestTxs.legacy(keys.get(0), CHAIN_ID, nonces[0]++, GAS_PRICE, 500_000, null, BigInteger.ZERO, "0x" + loopInit));
            block(chain, decoder, setup);
            List<byte[]> calls = new ArrayList<>();
            for (int i = 0; calls.size() < 1_400; i++) {
                int k = i % 16;
                calls.add(TestTxs.legacy(keys.get(k), CHAIN_ID, nonces[k]++, GAS_PRICE, 60_000, contract, BigInteger.ZERO, TestTxs.word(i + 1)));
            }
            long callsBlock = block(chain, decoder, calls);
            long loopBlock = block(chain, decoder, List.of(
                    TestTxs.legacy(keys.get(16), CHAIN_ID, nonces[16]++, GAS_PRICE, 29_990_000, loop, BigInteger.ZERO, "0x")));
            Tracing tracing = new Tracing(chain, TraceConfig.DEFAULT);
            Map<String, TraceRequest> tracers = new LinkedHashMap<>();
            StructLogger.Options all = StructLogger.Options.DEFAULT;
            Duration t = Duration.ofSeconds(30);
            tracers.put("4byteTracer", new TraceRequest("4byteTracer", all, false, false, false, t));
            tracers.put("callTracer", new TraceRequest("callTracer", all, false, false, false, t));
            tracers.put("callTracer+withLog", new TraceRequest("callTracer", all, false, true, false, t));
            tracers.put("prestateTracer", new TraceRequest("prestateTracer", all, false, false, false, t));
            tracers.put("prestateTracer+diffMode", new TraceRequest("prestateTracer", all, false, false, true, t));
            tracers.put("structLogger", new TraceRequest(null, all, false, false, false, t));
            tracers.put("structLogger-limit-100000", new TraceRequest(null, new StructLogger.Options(true, true, false, false, 100_000), false, false, false, t));
            tracers.put("structLogger-stack-storage", new TraceRequest(null, new StructLogger.Options(false, false, false, false, 0), false, false, false, t));
            for (var w : List.of(Map.entry("calls", callsBlock), Map.entry("loop", loopBlock))) {
                var header = chain.header(w.getValue()).orElseThrow();
                int txs = chain.block(w.getValue()).orElseThrow().transactions().size();
                for (var tr : tracers.entrySet()) measure(tracing, w.getKey(), w.getValue(), header.gasUsed(), txs, tr.getKey(), tr.getValue(), runs);
            }
        } finally {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 2; i++) System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Builds, seals and commits one block of the given transactions (all must fit and be valid). */
    private static long block(ChainState chain, TxDecoder decoder, List<byte[]> raws) throws Exception {
        var s = chain.beginBlock(chain.head().timestamp() + 1, Address.fromHex("0x00000000000000000000000000000000000000b0"), new byte[0]);
        for (byte[] raw : raws) {
            if (s.gasRemaining() < 60_000 && raws.size() > 1) break;
            TxApplyResult r = s.apply(decoder.decode(raw));
            if (!(r instanceof TxApplyResult.Included)) throw new IllegalStateException("not included: " + r);
        }
        ExecutedBlock b = s.finish();
        chain.commit(b);
        return b.block().number();
    }

    private static void measure(Tracing tracing, String workload, long block, long gas, int txs, String name, TraceRequest req, int runs)
            throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long bestNanos = Long.MAX_VALUE;
        long allocated = 0;
        long jsonBytes = -1;
        String error = null;
        long retained = -1;
        for (int i = 0; i <= runs; i++) {
            long base = i == 0 ? heapAfterGc() : 0;
            long a0 = mx.getCurrentThreadAllocatedBytes();
            long t0 = System.nanoTime();
            Object result = null;
            try {
                result = tracing.traceBlock(block, req);
            } catch (Tracing.TraceException e) {
                error = e.getMessage();
            }
            long nanos = System.nanoTime() - t0;
            long alloc = mx.getCurrentThreadAllocatedBytes() - a0;
            if (i == 0) {
                // warm-up; it also measures what the answer keeps on the heap until it is sent
                retained = heapAfterGc() - base;
                java.lang.ref.Reference.reachabilityFence(result);
                continue;
            }
            if (nanos < bestNanos) {
                bestNanos = nanos;
                allocated = alloc;
            }
            if (result != null && jsonBytes < 0) jsonBytes = JSON.writeValueAsBytes(result).length;
            result = null;
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("bench", "trace");
        line.put("workload", workload);
        line.put("tracer", name);
        line.put("gas", gas);
        line.put("txs", txs);
        line.put("ms", Math.round(bestNanos / 1e5) / 10.0);
        line.put("allocated_mb", Math.round(allocated / 1e5) / 10.0);
        line.put("retained_mb", Math.round(Math.max(0, retained) / 1e5) / 10.0);
        line.put("json_mb", jsonBytes < 0 ? null : Math.round(jsonBytes / 1e5) / 10.0);
        if (error != null) line.put("error", error);
        line.put("runs", runs);
        line.put("cpus", Runtime.getRuntime().availableProcessors());
        line.put("load_avg_1m", Math.round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() * 100) / 100.0);
        line.put("jvm", Runtime.version().toString());
        System.out.println(JSON.writeValueAsString(line));
    }
}
