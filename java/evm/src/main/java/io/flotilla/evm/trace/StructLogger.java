package io.flotilla.evm.trace;

import io.flotilla.evm.tx.TxExecution;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import io.flotilla.evm.vm.FrameResult;
import io.flotilla.evm.vm.Message;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The default tracer of debug_trace*: one entry per executed instruction (geth's struct logger, shaped as Hardhat
 * returns it). {@code gasCost} is what the instruction charged, for CALL-family instructions including the gas handed
 * to the child (as geth counts it); {@code storage} on SLOAD/SSTORE steps is every slot of that contract seen so far.
 */
public final class StructLogger implements TxTracer {
    /** geth's options: disableStack, disableStorage, enableMemory, enableReturnData, limit (0 = no limit). */
    public record Options(boolean stack, boolean storage, boolean memory, boolean returnData, long limit) {
        public static final Options DEFAULT = new Options(true, true, false, false, 0);
    }

    private static final HexFormat HEX = HexFormat.of();

    private final Options options;
    private final TraceLimits limits;
    private final List<Map<String, Object>> logs = new ArrayList<>();
    private final ArrayDeque<FrameState> frames = new ArrayDeque<>();
    private final Map<Address, TreeMap<String, String>> storage = new HashMap<>();

    /** The last step of a frame whose gasCost is not known yet. */
    private static final class FrameState {
        Map<String, Object> last;
        int lastOp;
        long gasBefore;
        /** The slot the last SLOAD/SSTORE step put in the contract's seen storage, and what it held before (null: none). */
        TreeMap<String, String> seenMap;
        String seenKey;
        String seenBefore;
        boolean costKnown = true;
    }

    public StructLogger(Options options, TraceLimits limits) {
        this.options = options;
        this.limits = limits;
    }

    @Override
    public void enter(int op, Message m) {
        frames.push(new FrameState());
    }

    @Override
    public void exit(FrameResult r) {
        FrameState fs = frames.pop();
        boolean halted = !r.success() && r.error() != io.flotilla.evm.vm.HaltReason.REVERTED;
        boolean sentry = halted && Revert.sentry(r.error(), fs.lastOp, fs.gasBefore);
        settle(fs, halted ? (sentry ? fs.gasBefore : 0) : r.gasLeft()); // the sentry charges nothing
        // The instruction that failed carries the error, as geth marks it, and no storage (it read or wrote none).
        if (halted && fs.last != null) {
            fs.last.put("error", sentry ? Revert.SENTRY : Revert.error(r.error(), fs.lastOp));
            if (fs.seenMap != null) {
                // the failed SLOAD/SSTORE read and wrote nothing: its slot is not part of the storage seen
                if (fs.seenBefore == null) fs.seenMap.remove(fs.seenKey);
                else fs.seenMap.put(fs.seenKey, fs.seenBefore);
                Object refund = fs.last.remove("refund");
                fs.last.put("storage", new TreeMap<>(fs.seenMap));
                fs.last.put("refund", refund);
            }
        }
    }

    @Override
    public void charged(long gasLeft) {
        settle(frames.peek(), gasLeft);
    }

    private static void settle(FrameState fs, long gasNow) {
        if (fs == null || fs.costKnown) return;
        fs.costKnown = true;
        if (fs.last != null) fs.last.put("gasCost", fs.gasBefore - gasNow);
    }

    @Override
    public void step(int pc, int op, StepContext f) {
        FrameState fs = frames.peek();
        settle(fs, f.gas());
        fs.gasBefore = f.gas();
        fs.costKnown = false;
        fs.last = null;
        fs.lastOp = op;
        fs.seenMap = null;
        if (options.limit() > 0 && logs.size() >= options.limit()) return;
        Map<String, Object> e = new LinkedHashMap<>();
        long size = 90;
        e.put("pc", pc);
        e.put("op", OpNames.name(op));
        e.put("gas", f.gas());
        e.put("gasCost", 0L);
        e.put("depth", f.depth() + 1);
        if (op == 0xF3 || op == 0xFD) {
            // RETURN/REVERT end the frame: their cost is the memory expansion alone (a creation's code deposit is not theirs)
            e.put("gasCost", returnCost(f));
            fs.costKnown = true;
        }
        if (options.stack()) {
            int n = f.stackSize();
            List<String> st = new ArrayList<>(n);
            for (int i = n - 1; i >= 0; i--) {
                String w = f.stackWord(i).toString();
                st.add(w);
                size += w.length() + 3;
            }
            e.put("stack", st);
        }
        if (options.memory()) {
            byte[] mem = f.memory();
            List<String> words = new ArrayList<>(mem.length / 32);
            for (int i = 0; i + 32 <= mem.length; i += 32) words.add("0x" + HEX.formatHex(mem, i, i + 32));
            e.put("memory", words);
            size += mem.length * 2L + words.size() * 5L;
        }
        if (options.returnData()) {
            String rd = Hex.encode(f.returnData());
            e.put("returnData", rd);
            size += rd.length();
        }
        if (options.storage() && (op == 0x54 || op == 0x55) && f.stackSize() >= (op == 0x54 ? 1 : 2)) {
            Word key = f.stackWord(0);
            Word value = op == 0x54 ? f.storage(key) : f.stackWord(1);
            TreeMap<String, String> seen = storage.computeIfAbsent(f.message().target(), a -> new TreeMap<>());
            String k = Hex.encode(key.toBytes());
            fs.seenMap = seen;
            fs.seenKey = k;
            fs.seenBefore = seen.put(k, Hex.encode(value.toBytes()));
            e.put("storage", new TreeMap<>(seen));
            size += seen.size() * 140L;
        }
        e.put("refund", f.refund());
        limits.add(size);
        logs.add(e);
        fs.last = e;
    }

    private static long returnCost(StepContext f) {
        if (f.stackSize() < 2) return 0;
        Word off = f.stackWord(0);
        Word len = f.stackWord(1);
        if (len.isZero()) return 0;
        if (!off.fitsLong() || !len.fitsLong() || off.l0() > 0xFFFFFFFFL || len.l0() > 0xFFFFFFFFL) return 0;
        long end = off.l0() + len.l0();
        long newWords = (end + 31) / 32;
        long oldWords = f.memorySize() / 32;
        if (newWords <= oldWords) return 0;
        return memoryCost(newWords) - memoryCost(oldWords);
    }

    private static long memoryCost(long words) {
        return 3 * words + words * words / 512;
    }

    @Override
    public Object result(TxExecution ex, long gasLimit, long gasUsed) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("failed", ex.halt() != null);
        out.put("gas", gasUsed);
        out.put("returnValue", Hex.encode(ex.output()));
        out.put("structLogs", logs);
        return out;
    }
}
