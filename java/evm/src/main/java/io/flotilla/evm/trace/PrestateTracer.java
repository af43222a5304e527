package io.flotilla.evm.trace;

import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.WorldState;
import io.flotilla.evm.tx.TxExecution;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import io.flotilla.evm.vm.Message;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * geth's prestateTracer: every account the transaction touched (sender, recipient, coinbase, call and create targets,
 * BALANCE, EXTCODESIZE, EXTCODECOPY, EXTCODEHASH and SELFDESTRUCT operands) with its balance, nonce, code and the storage slots read or written, as they
 * were before the transaction. With {@code diffMode} the answer is {@code {pre, post}}: only what changed, before and
 * after. {@code pre} must be the state before the transaction and is only read; {@code post} is read once it ran.
 */
public final class PrestateTracer implements TxTracer {
    private final WorldState pre;
    private final WorldState post;
    private final Address coinbase;
    private final boolean diffMode;
    private final TraceLimits limits;
    private final Map<Address, Set<Word>> touched = new LinkedHashMap<>();
    private final Set<Address> created = new LinkedHashSet<>();
    /** What the last instruction of each frame added (undone if it failed): a new account, a slot's owner and key. */
    private final java.util.ArrayDeque<Object[]> lastAdded = new java.util.ArrayDeque<>();

    public PrestateTracer(WorldState pre, WorldState post, Address coinbase, boolean diffMode, TraceLimits limits) {
        this.pre = pre;
        this.post = post;
        this.coinbase = coinbase;
        this.diffMode = diffMode;
        this.limits = limits;
    }

    private void lookup(Address a) {
        if (touched.putIfAbsent(a, new LinkedHashSet<>()) == null) {
            if (!lastAdded.isEmpty()) lastAdded.peek()[0] = a;
            Account acc = pre.account(a);
            limits.add(150 + (acc == null ? 0 : 2L * acc.code().length));
        }
    }

    private void slot(Address a, Word key) {
        lookup(a);
        if (touched.get(a).add(key)) {
            if (!lastAdded.isEmpty()) {
                lastAdded.peek()[1] = a;
                lastAdded.peek()[2] = key;
            }
            limits.add(140);
        }
    }

    @Override
    public void enter(int op, Message m) {
        if (touched.isEmpty()) {
            lookup(m.caller());
            lookup(m.target());
            lookup(coinbase);
        }
        lookup(m.codeAddress());
        lookup(m.target());
        if (m.isCreate()) created.add(m.target());
        lastAdded.push(new Object[3]);
    }

    @Override
    public void exit(io.flotilla.evm.vm.FrameResult r) {
        Object[] last = lastAdded.pop();
        if (r.success() || r.error() == io.flotilla.evm.vm.HaltReason.REVERTED) return;
        // the instruction that failed read nothing: forget what it added (as geth, which skips failed instructions)
        if (last[2] != null) touched.get((Address) last[1]).remove((Word) last[2]);
        if (last[0] != null && touched.get((Address) last[0]).isEmpty()) touched.remove((Address) last[0]);
    }

    @Override
    public void step(int pc, int op, StepContext f) {
        if (!lastAdded.isEmpty()) {
            Object[] last = lastAdded.peek();
            java.util.Arrays.fill(last, null);
        }
        if (f.stackSize() < 1) return;
        switch (op) {
            case 0x54, 0x55 -> slot(f.message().target(), f.stackWord(0));
            case 0x31, 0x3B, 0x3C, 0x3F, 0xFF -> lookup(Address.fromWord(f.stackWord(0)));
            default -> {
            }
        }
    }

    @Override
    public Object result(TxExecution ex, long gasLimit, long gasUsed) {
        if (!diffMode) {
            Map<String, Object> out = new TreeMap<>();
            for (var e : touched.entrySet()) {
                Account a = orEmpty(pre.account(e.getKey()));
                Map<String, String> storage = new TreeMap<>();
                for (Word k : e.getValue()) storage.put(Hex.encode(k.toBytes()), Hex.encode(pre.storage(e.getKey(), k).toBytes()));
                out.put(e.getKey().toString(), account(a, storage));
            }
            return out;
        }
        Map<String, Object> preOut = new TreeMap<>();
        Map<String, Object> postOut = new TreeMap<>();
        for (var e : touched.entrySet()) {
            Address addr = e.getKey();
            Account before = pre.account(addr);
            Account after = post.account(addr);
            Account b = orEmpty(before);
            Map<String, String> preSlots = new TreeMap<>();
            Map<String, String> postSlots = new TreeMap<>();
            boolean modified = false;
            for (Word k : e.getValue()) {
                Word was = pre.storage(addr, k);
                Word now = after == null ? Word.ZERO : post.storage(addr, k);
                if (was.equals(now)) continue;
                modified = true;
                if (!was.isZero()) preSlots.put(Hex.encode(k.toBytes()), Hex.encode(was.toBytes()));
                if (!now.isZero()) postSlots.put(Hex.encode(k.toBytes()), Hex.encode(now.toBytes()));
            }
            if (after == null) {
                // deleted (or never came to exist): shown before, absent after
                if (before != null) preOut.put(addr.toString(), account(b, preSlots));
                continue;
            }
            Map<String, Object> p = new LinkedHashMap<>();
            if (!after.balance().equals(b.balance())) {
                modified = true;
                p.put("balance", after.balance().toString());
            }
            if (after.nonce() != b.nonce()) {
                modified = true;
                p.put("nonce", after.nonce());
            }
            if (!Arrays.equals(after.code(), b.code())) {
                modified = true;
                p.put("code", Hex.encode(after.code()));
            }
            if (!postSlots.isEmpty()) p.put("storage", postSlots);
            if (!modified) continue;
            postOut.put(addr.toString(), p);
            if (before != null || !created.contains(addr)) preOut.put(addr.toString(), account(b, preSlots));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("post", postOut);
        out.put("pre", preOut);
        return out;
    }

    private static Account orEmpty(Account a) {
        return a == null ? Account.EMPTY : a;
    }

    private static Map<String, Object> account(Account a, Map<String, String> storage) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("balance", a.balance().toString());
        if (a.nonce() != 0) j.put("nonce", a.nonce());
        if (a.code().length > 0) j.put("code", Hex.encode(a.code()));
        if (!storage.isEmpty()) j.put("storage", storage);
        return j;
    }
}
