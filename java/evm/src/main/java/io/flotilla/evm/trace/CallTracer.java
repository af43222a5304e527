package io.flotilla.evm.trace;

import io.flotilla.evm.tx.TxExecution;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import io.flotilla.evm.vm.FrameResult;
import io.flotilla.evm.vm.HaltReason;
import io.flotilla.evm.vm.Message;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * geth's callTracer: the tree of call frames ({@code onlyTopCall}: the transaction's frame alone; {@code withLog}: the
 * logs each frame emitted, with their position among its calls). Logs of failed frames are left out, as geth does.
 */
public final class CallTracer implements TxTracer {
    private final boolean onlyTopCall;
    private final boolean withLog;
    private final TraceLimits limits;
    private final ArrayDeque<Call> stack = new ArrayDeque<>();
    private Call root;
    private int logIndex;

    private static final class Call {
        final int op;
        final Message m;
        FrameResult result;
        final List<Call> calls = new ArrayList<>();
        final List<Map<String, Object>> logs = new ArrayList<>();
        int lastOp;
        long lastGas;

        Call(int op, Message m) {
            this.op = op;
            this.m = m;
        }
    }

    public CallTracer(boolean onlyTopCall, boolean withLog, TraceLimits limits) {
        this.onlyTopCall = onlyTopCall;
        this.withLog = withLog;
        this.limits = limits;
    }

    @Override
    public void enter(int op, Message m) {
        Call c = new Call(op, m);
        if (root == null) root = c;
        else if (!onlyTopCall) stack.peek().calls.add(c);
        limits.add(200 + 2L * (m.isCreate() ? m.code().length : m.data().length));
        stack.push(c);
    }

    @Override
    public void exit(FrameResult r) {
        Call c = stack.pop();
        c.result = r;
        limits.add(2L * r.output().length);
    }

    @Override
    public void step(int pc, int op, StepContext f) {
        Call current = stack.peek();
        current.lastOp = op;
        current.lastGas = f.gas();
        if (!withLog || op < 0xA0 || op > 0xA4) return;
        if (onlyTopCall && f.depth() > 0) return;
        int topics = op - 0xA0;
        if (f.stackSize() < 2 + topics) return;
        Word off = f.stackWord(0);
        Word len = f.stackWord(1);
        if (!off.fitsLong() || !len.fitsLong() || len.l0() > f.gas() / 8) return; // cannot be paid for: the step fails
        byte[] mem = f.memory();
        byte[] data = new byte[(int) len.l0()];
        for (int i = 0; i < data.length; i++) {
            long at = off.l0() + i;
            if (at < mem.length) data[i] = mem[(int) at];
        }
        List<String> t = new ArrayList<>();
        for (int i = 0; i < topics; i++) t.add(Hex.encode(f.stackWord(2 + i).toBytes()));
        Call c = stack.peek();
        Map<String, Object> log = new LinkedHashMap<>();
        log.put("address", f.message().target().toString());
        log.put("topics", t);
        log.put("data", Hex.encode(data));
        log.put("position", "0x" + Integer.toHexString(c.calls.size()));
        log.put("index", "0x" + Integer.toHexString(logIndex++));
        limits.add(100 + 70L * topics + 2L * data.length);
        c.logs.add(log);
    }

    @Override
    public Object result(TxExecution ex, long gasLimit, long gasUsed) {
        return json(root, gasLimit, gasUsed, false);
    }

    /** {@code failedAbove}: a frame between this one and the root failed (its logs were rolled back with it). */
    private Map<String, Object> json(Call c, long gas, long gasUsed, boolean failedAbove) {
        FrameResult r = c.result;
        boolean ok = r.success();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("from", c.m.caller().toString());
        j.put("gas", quantity(gas));
        j.put("gasUsed", quantity(gasUsed));
        if (!(c.m.isCreate() && !ok)) j.put("to", c.m.target().toString());
        j.put("input", Hex.encode(c.m.isCreate() ? c.m.code() : c.m.data()));
        if (ok) {
            if (r.output().length > 0) j.put("output", Hex.encode(r.output()));
        } else {
            if (r.error() == HaltReason.REVERTED && r.output().length > 0) {
                j.put("output", Hex.encode(r.output()));
                String reason = Revert.reason(r.output());
                if (reason != null) j.put("revertReason", reason);
            }
            j.put("error", Revert.sentry(r.error(), c.lastOp, c.lastGas) ? Revert.SENTRY : Revert.error(r.error(), c.lastOp));
        }
        if (!c.calls.isEmpty()) {
            List<Object> calls = new ArrayList<>();
            boolean failed = c != root && (failedAbove || !ok);
            for (Call child : c.calls) calls.add(json(child, child.m.gas(), child.m.gas() - child.result.gasLeft(), failed));
            j.put("calls", calls);
        }
        // As Hardhat: the transaction's own frame keeps its logs even when it failed; a failed inner frame's are dropped.
        if (withLog && !c.logs.isEmpty() && (c == root || (ok && !failedAbove))) j.put("logs", c.logs);
        if (c.op != 0xFA && c.op != 0xF4) j.put("value", quantity(c.m.value()));
        j.put("type", OpNames.callType(c.op));
        return j;
    }

    private static String quantity(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static String quantity(Word v) {
        return v.toString();
    }
}
