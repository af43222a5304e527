package io.flotilla.chain.execution;

import io.flotilla.chain.storage.Block;
import io.flotilla.chain.storage.BlockHeader;
import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.WorldState;
import io.flotilla.evm.trace.CallTracer;
import io.flotilla.evm.trace.FourByteTracer;
import io.flotilla.evm.trace.PrestateTracer;
import io.flotilla.evm.trace.StructLogger;
import io.flotilla.evm.trace.TraceLimits;
import io.flotilla.evm.trace.TxTracer;
import io.flotilla.evm.tx.Receipt;
import io.flotilla.evm.tx.Transaction;
import io.flotilla.evm.tx.TransactionProcessor;
import io.flotilla.evm.tx.TxExecution;
import io.flotilla.evm.tx.TxOutcome;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import io.flotilla.evm.vm.BlockEnv;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * debug_trace*: re-executes committed transactions on the state of their parent block (read from that block's tries
 * in the store, so only within the chain's history window, {@link ChainState#HISTORY_BLOCKS} blocks by default) or a
 * call on a recent block, with
 * a tracer attached. Runs on the caller's (RPC) thread, never the consensus thread, reading the state one access at a
 * time under the read lock; at most {@link TraceConfig#concurrency()} traces run at once (others are refused at once),
 * each within a wall-time limit and an output size limit.
 */
public final class Tracing {
    private final ChainState chain;
    private final TraceConfig config;
    private final Semaphore permits;

    public Tracing(ChainState chain, TraceConfig config) {
        this(chain, config, new Semaphore(config.concurrency()));
    }

    /** With the permits given (a test holds one to stand for a trace in progress). */
    Tracing(ChainState chain, TraceConfig config, Semaphore permits) {
        this.chain = chain;
        this.config = config;
        this.permits = permits;
    }

    public TraceConfig config() {
        return config;
    }

    /** Why a trace could not be given; the message is meant for the caller. */
    public static final class TraceException extends Exception {
        public TraceException(String message) {
            super(message, null, false, false);
        }
    }

    /** One transaction of block {@code number} (index {@code index}), traced. */
    public Object traceTransaction(long number, int index, TraceRequest req) throws TraceException {
        return run(req, limits -> {
            Block block = chain.block(number).orElseThrow(() -> new TraceException("block " + number + " not found"));
            BlockRun br = startBlock(block);
            for (int i = 0; i < index; i++) br.apply(block.transactions().get(i));
            return br.traced(block.transactions().get(index), req, limits);
        });
    }

    /** Every transaction of block {@code number}: [{txHash, result}], as geth answers debug_traceBlockBy*. */
    public Object traceBlock(long number, TraceRequest req) throws TraceException {
        return run(req, limits -> {
            Block block = chain.block(number).orElseThrow(() -> new TraceException("block " + number + " not found"));
            BlockRun br = startBlock(block);
            List<Object> out = new ArrayList<>();
            for (SignedTransaction tx : block.transactions()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("txHash", tx.hashHex());
                j.put("result", br.traced(tx, req, limits));
                out.add(j);
            }
            return out;
        });
    }

    /** A call on the state after block {@code number}, in the context of the block after it (as eth_call). */
    public Object traceCall(CallRequest call, long number, TraceRequest req) throws TraceException {
        return run(req, limits -> {
            BlockHeader h = chain.header(number).orElseThrow(() -> new TraceException("block " + number + " not found"));
            ChainState.HistoricalView view = view(number);
            OverlayWorldState base = new OverlayWorldState(view);
            OverlayWorldState overlay = new OverlayWorldState(base);
            long gas = call.gas() == null ? chain.config().gasLimit() : Math.min(call.gas(), chain.config().gasLimit());
            Account from = overlay.account(call.from());
            long nonce = from == null ? 0 : from.nonce();
            BlockEnv env = chain.executor().blockEnv(h.number() + 1, h.timestamp(), h.proposer(), Word.ZERO, chain::blockHash);
            Transaction tx = new Transaction(0, call.from(), nonce, BigInteger.valueOf(gas), call.gasPrice(), null, null,
                    call.to(), call.value(), call.data(), List.of(), null, List.of());
            try {
                return trace(overlay, base, env, tx, req, limits);
            } finally {
                if (view.lost()) throw pruned(number);
            }
        });
    }

    private interface Work {
        Object run(TraceLimits limits) throws TraceException;
    }

    private Object run(TraceRequest req, Work work) throws TraceException {
        if (!config.enabled()) throw new TraceException("tracing is disabled on this node");
        if (!permits.tryAcquire()) {
            throw new TraceException("too many traces running (this node runs " + config.concurrency() + " at a time); retry later");
        }
        try {
            Duration limit = req.timeout() == null ? config.defaultTimeout()
                    : req.timeout().compareTo(config.maxTimeout()) > 0 ? config.maxTimeout() : req.timeout();
            TraceLimits limits = new TraceLimits(config.maxBytes());
            Object[] out = new Object[1];
            TraceException[] failure = new TraceException[1];
            boolean finished = CallDeadline.run(limit, () -> {
                try {
                    out[0] = work.run(limits);
                } catch (TraceException e) {
                    failure[0] = e;
                }
                return true;
            }, () -> false);
            if (limits.exceeded()) {
                throw new TraceException("trace exceeds the size limit of " + (config.maxBytes() >> 20)
                        + " MiB (use the struct logger's disableStack, disableStorage or limit options, or another tracer)");
            }
            if (!finished) throw new TraceException("execution timeout (tracing is limited to " + limit.toMillis() + " ms)");
            if (failure[0] != null) throw failure[0];
            return out[0];
        } finally {
            permits.release();
        }
    }

    private ChainState.HistoricalView view(long number) throws TraceException {
        return chain.stateAfter(number).orElseThrow(() -> pruned(number));
    }

    private TraceException pruned(long number) {
        return new TraceException("historical state of block " + number + " is not available: this node keeps the state of the last "
                + chain.historyBlocks() + " blocks for tracing (oldest traceable block: " + chain.oldestTraceable() + ")");
    }

    private BlockRun startBlock(Block block) throws TraceException {
        BlockHeader h = block.header();
        if (h.number() == 0) throw new TraceException("genesis is not traceable");
        ChainState.HistoricalView view = view(h.number() - 1);
        BlockEnv env = chain.executor().blockEnv(h.number(), h.timestamp(), h.proposer(), Word.fromBigInteger(h.baseFeePerGas()), chain::blockHash);
        return new BlockRun(view, new OverlayWorldState(view), env, h.number());
    }

    /** A block being re-executed transaction by transaction. */
    private final class BlockRun {
        final ChainState.HistoricalView view;
        final OverlayWorldState state;
        final BlockEnv env;
        final long number;
        final TransactionProcessor processor = new TransactionProcessor();

        BlockRun(ChainState.HistoricalView view, OverlayWorldState state, BlockEnv env, long number) {
            this.view = view;
            this.state = state;
            this.env = env;
            this.number = number;
        }

        void apply(SignedTransaction tx) throws TraceException {
            processor.process(state, env, tx.toEvm());
            if (view.lost()) throw pruned(number - 1);
        }

        Object traced(SignedTransaction tx, TraceRequest req, TraceLimits limits) throws TraceException {
            OverlayWorldState txState = new OverlayWorldState(state);
            try {
                Object result = trace(txState, state, env, tx.toEvm(), req, limits);
                OverlayWorldState.applyTo(state, txState.diff());
                return result;
            } finally {
                if (view.lost()) throw pruned(number - 1);
            }
        }
    }

    /** Runs {@code tx} on {@code txState} (an overlay over {@code before}) with the requested tracer. */
    private static Object trace(OverlayWorldState txState, WorldState before, BlockEnv env, Transaction tx, TraceRequest req,
                                TraceLimits limits) throws TraceException {
        TxTracer tracer = tracer(req, before, txState, env.coinbase(), limits);
        TxExecution ex = new TransactionProcessor().processWithOutput(txState, env, tx, tracer);
        if (ex.outcome() instanceof TxOutcome.Rejected r) {
            throw new TraceException("transaction could not be executed: " + r.reason().name().toLowerCase().replace('_', ' ')
                    + (r.detail().isEmpty() ? "" : " (" + r.detail() + ")"));
        }
        Receipt receipt = ((TxOutcome.Included) ex.outcome()).receipt();
        return tracer.result(ex, tx.gasLimit().longValueExact(), receipt.gasUsed());
    }

    private static TxTracer tracer(TraceRequest req, WorldState pre, WorldState post, Address coinbase, TraceLimits limits) {
        if (req.tracer() == null) return new StructLogger(req.struct(), limits);
        return switch (req.tracer()) {
            case "callTracer" -> new CallTracer(req.onlyTopCall(), req.withLog(), limits);
            case "prestateTracer" -> new PrestateTracer(pre, post, coinbase, req.diffMode(), limits);
            case "4byteTracer" -> new FourByteTracer(limits);
            default -> throw new IllegalArgumentException("unknown tracer " + req.tracer());
        };
    }


    /**
     * eth_createAccessList: the addresses and slots a call touches (besides its sender, its recipient and the
     * precompiles), and the gas it uses with that list, on the state after block {@code number}. Within the eth_call
     * time limit; it does not take a tracing permit (it costs what two eth_calls cost).
     */
    public AccessListResult createAccessList(CallRequest call, long number) throws TraceException {
        BlockHeader h = chain.header(number).orElseThrow(() -> new TraceException("block " + number + " not found"));
        ChainState.HistoricalView view = view(number);
        Object r = CallDeadline.run(ChainState.CALL_TIMEOUT, () -> {
            List<io.flotilla.evm.tx.AccessListEntry> list = List.of();
            TxExecution ex = null;
            for (int round = 0; round < 4; round++) {
                AccessListTracer t = new AccessListTracer(call.from(), call.to());
                ex = accessListRun(view, h, call, list, t);
                if (ex.outcome() instanceof TxOutcome.Rejected) break;
                List<io.flotilla.evm.tx.AccessListEntry> next = t.list();
                if (next.equals(list)) break;
                list = next;
                ex = null;
            }
            if (ex == null) ex = accessListRun(view, h, call, list, null);
            return new Object[] {list, ex};
        }, () -> null);
        if (r == null) throw new TraceException("execution aborted (timeout = " + ChainState.CALL_TIMEOUT.toSeconds() + "s)");
        if (view.lost()) throw pruned(number);
        Object[] pair = (Object[]) r;
        @SuppressWarnings("unchecked")
        List<io.flotilla.evm.tx.AccessListEntry> list = (List<io.flotilla.evm.tx.AccessListEntry>) pair[0];
        TxExecution ex = (TxExecution) pair[1];
        if (ex.outcome() instanceof TxOutcome.Rejected rej) {
            throw new TraceException(rej.reason().name().toLowerCase().replace('_', ' ') + (rej.detail().isEmpty() ? "" : ": " + rej.detail()));
        }
        Receipt receipt = ((TxOutcome.Included) ex.outcome()).receipt();
        String error = receipt.success() ? null : io.flotilla.evm.trace.Revert.error(ex.halt(), 0xFE);
        return new AccessListResult(list, receipt.gasUsed(), error);
    }

    /** The list, the gas used with it, and the error of the call (null when it succeeded). */
    public record AccessListResult(List<io.flotilla.evm.tx.AccessListEntry> accessList, long gasUsed, String error) {
    }

    private TxExecution accessListRun(ChainState.HistoricalView view, BlockHeader h, CallRequest call,
                                      List<io.flotilla.evm.tx.AccessListEntry> list, AccessListTracer t) {
        OverlayWorldState overlay = new OverlayWorldState(view);
        long gas = call.gas() == null ? chain.config().gasLimit() : Math.min(call.gas(), chain.config().gasLimit());
        Account from = overlay.account(call.from());
        long nonce = from == null ? 0 : from.nonce();
        BlockEnv env = chain.executor().blockEnv(h.number() + 1, h.timestamp(), h.proposer(), Word.ZERO, chain::blockHash);
        Transaction tx = new Transaction(1, call.from(), nonce, BigInteger.valueOf(gas), call.gasPrice(), null, null,
                call.to(), call.value(), call.data(), list, null, List.of());
        return new TransactionProcessor().processWithOutput(overlay, env, tx, t);
    }
}
