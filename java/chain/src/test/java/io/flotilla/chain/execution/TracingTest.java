package io.flotilla.chain.execution;

import static io.flotilla.chain.tx.TestTxs.CHAIN_ID;
import static io.flotilla.chain.tx.TestTxs.ETHER;
import static io.flotilla.chain.tx.TestTxs.GWEI;
import static io.flotilla.chain.tx.TestTxs.OWNER;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.mempool.MempoolConfig;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.evm.state.StateRoot;
import io.flotilla.evm.trace.StructLogger;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.vm.ContractAddress;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tracing's guarantees: the state it re-executes on, how far back it reaches, and its limits per request and per node. */
class TracingTest {
    private static final Address PROPOSER = Address.fromHex("0x00000000000000000000000000000000000000b0");
    /** Spins until out of gas (JUMPDEST PUSH1 0 JUMP). */
    private static final String LOOP_INIT = "6004600c60003960046000f3" + "5b600056";
    private static final TraceRequest STRUCT = new TraceRequest(null, StructLogger.Options.DEFAULT, false, false, false, null);
    private static final TraceRequest CALLS = new TraceRequest("callTracer", StructLogger.Options.DEFAULT, false, false, false, null);

    @TempDir
    Path dir;
    private DevChain dev;
    private long nonce;

    @BeforeEach
    void open() {
        Genesis genesis = Genesis.of(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, GWEI), TestTxs.address(OWNER),
                ETHER.multiply(BigInteger.valueOf(100)));
        dev = new DevChain(ChainStore.open(dir), genesis, PROPOSER, MempoolConfig.DEFAULT, Clock.systemUTC(), false);
    }

    @AfterEach
    void close() {
        dev.close();
    }

    /** Submits a transaction from OWNER and commits a block holding it; returns the block number. */
    private long mine(String to, String data, long gas) throws Exception {
        dev.submission().submit(TestTxs.legacy(OWNER, CHAIN_ID, nonce++, GWEI, gas, to, BigInteger.ZERO, data));
        return dev.produceBlock().block().number();
    }

    private String deploy(String init) throws Exception {
        String address = ContractAddress.create(TestTxs.address(OWNER), nonce).toString();
        mine(null, "0x" + init, 500_000);
        return address;
    }

    private Tracing tracing(TraceConfig config) {
        return new Tracing(dev.chain(), config);
    }

    @Test
    void theStateAfterEachRecentBlockIsRebuiltExactly() throws Exception {
        String contract = deploy(TestContract.INIT);
        for (int i = 1; i <= 6; i++) mine(contract, TestTxs.word(i * 7L), 100_000); // storage rewritten block after block
        mine(contract, TestTxs.word(0), 100_000); // reverts: fees still move
        long head = dev.chain().head().number();
        for (long n = 0; n <= head; n++) {
            ChainState.HistoricalView view = dev.chain().stateAfter(n).orElseThrow();
            assertArrayEquals(dev.chain().header(n).orElseThrow().stateRoot(), StateRoot.compute(view), "state root after block " + n);
        }
    }

    @Test
    void blocksBeyondTheHistoryWindowAreRefusedNamingTheOldestTraceableOne() throws Exception {
        long first = mine(TestTxs.address(TestTxs.BOB).toString(), "0x", 21_000);
        for (int i = 0; i < ChainState.HISTORY_BLOCKS + 2; i++) dev.produceBlock();
        Tracing.TraceException e = assertThrows(Tracing.TraceException.class,
                () -> tracing(TraceConfig.DEFAULT).traceTransaction(first, 0, CALLS));
        assertTrue(e.getMessage().contains("historical state of block " + (first - 1) + " is not available"), e.getMessage());
        assertTrue(e.getMessage().contains("oldest traceable block: " + dev.chain().oldestTraceable()), e.getMessage());
        long recent = mine(TestTxs.address(TestTxs.BOB).toString(), "0x", 21_000);
        assertTrue(tracing(TraceConfig.DEFAULT).traceTransaction(recent, 0, CALLS) instanceof Map<?, ?>);
    }

    @Test
    void aTraceLargerThanTheSizeLimitIsRefusedByName() throws Exception {
        String loop = deploy(LOOP_INIT);
        long block = mine(loop, "0x", 1_000_000);
        TraceConfig small = new TraceConfig(true, 1, Duration.ofSeconds(30), Duration.ofSeconds(5), 64 * 1024);
        Tracing.TraceException e = assertThrows(Tracing.TraceException.class, () -> tracing(small).traceTransaction(block, 0, STRUCT));
        assertTrue(e.getMessage().startsWith("trace exceeds the size limit"), e.getMessage());
        // the same transaction traced with the call tracer is small
        assertEquals("0xf4240", ((Map<?, ?>) tracing(small).traceTransaction(block, 0, CALLS)).get("gas"));
        // the caller's own limit option keeps a struct log small too
        TraceRequest limited = new TraceRequest(null, new StructLogger.Options(true, true, false, false, 10), false, false, false, null);
        Map<?, ?> r = (Map<?, ?>) tracing(small).traceTransaction(block, 0, limited);
        assertEquals(10, ((List<?>) r.get("structLogs")).size());
    }

    @Test
    void aTraceLongerThanItsTimeoutIsAborted() throws Exception {
        String loop = deploy(LOOP_INIT);
        long block = mine(loop, "0x", 29_000_000);
        TraceRequest hurried = new TraceRequest(null, new StructLogger.Options(true, true, false, false, 1), false, false, false,
                Duration.ofMillis(1));
        Tracing.TraceException e = assertThrows(Tracing.TraceException.class, () -> tracing(TraceConfig.DEFAULT).traceTransaction(block, 0, hurried));
        assertTrue(e.getMessage().startsWith("execution timeout"), e.getMessage());
    }

    @Test
    void tracesBeyondTheConcurrencyLimitAreRefusedAtOnceAndADisabledNodeRefusesAll() throws Exception {
        long block = mine(TestTxs.address(TestTxs.BOB).toString(), "0x", 21_000);
        Semaphore permits = new Semaphore(1);
        Tracing tracing = new Tracing(dev.chain(), TraceConfig.DEFAULT, permits);
        permits.acquire(); // a trace in progress
        Tracing.TraceException e = assertThrows(Tracing.TraceException.class, () -> tracing.traceTransaction(block, 0, CALLS));
        assertTrue(e.getMessage().startsWith("too many traces running"), e.getMessage());
        permits.release();
        assertTrue(tracing.traceTransaction(block, 0, CALLS) instanceof Map<?, ?>);
        assertEquals(1, permits.availablePermits(), "the permit is returned");

        TraceConfig off = new TraceConfig(false, 1, Duration.ofSeconds(30), Duration.ofSeconds(5), 1 << 20);
        e = assertThrows(Tracing.TraceException.class, () -> tracing(off).traceTransaction(block, 0, CALLS));
        assertEquals("tracing is disabled on this node", e.getMessage());
    }

    @Test
    void anAccessListNamesTheSlotsACallTouchesAndItsGasWithThem() throws Exception {
        String contract = deploy(TestContract.INIT);
        CallRequest set = new CallRequest(TestTxs.address(OWNER), Address.fromHex(contract), 100_000L, null, null,
                io.flotilla.evm.types.Hex.decode(TestTxs.word(5)));
        Tracing.AccessListResult r = tracing(TraceConfig.DEFAULT).createAccessList(set, dev.chain().head().number());
        assertEquals(1, r.accessList().size());
        assertEquals(Address.fromHex(contract), r.accessList().get(0).address());
        assertEquals(List.of(io.flotilla.evm.types.Word.ZERO), r.accessList().get(0).storageKeys());
        assertEquals(null, r.error());
        // 21000 + calldata + list (2400 + 1900) + a warm SSTORE of a fresh slot (20000 + 100) + the rest of the code
        assertTrue(r.gasUsed() > 21_000 + 2_400 + 1_900 + 20_000 && r.gasUsed() < 50_000, "gas used " + r.gasUsed());
    }
}
