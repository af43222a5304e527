package io.flotilla.evm.vm;

import static io.flotilla.evm.vm.Frame.address;
import static io.flotilla.evm.vm.Frame.arg;
import static io.flotilla.evm.vm.Frame.charge;
import static io.flotilla.evm.vm.Frame.clamp;
import static io.flotilla.evm.vm.Frame.halt;
import static io.flotilla.evm.vm.Frame.memory;
import static io.flotilla.evm.vm.Frame.put;
import static io.flotilla.evm.vm.Frame.putLong;
import static io.flotilla.evm.vm.Frame.word;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;

/** CALL, CALLCODE, DELEGATECALL, STATICCALL, CREATE and CREATE2: gas (EIP-150/2929), checks and child frames. */
final class MessageCalls {
    private MessageCalls() {
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
    }

    static void call(Frame f, int op) {
        Evm evm = f.evm;
        Message m = f.m;
        long[] s = f.s;
        int sp = f.sp;
        int p = (sp - 1) << 2;
        boolean hasValue = op == 0xF1 || op == 0xF2;
        long gasArg = clamp(s, p);
        Address to = address(s, p - 4);
        Word value = hasValue ? word(s, p - 8) : Word.ZERO;
        int q = hasValue ? p - 12 : p - 8;
        long inOff = arg(s, q), inLen = arg(s, q - 4), outOff = arg(s, q - 8), outLen = arg(s, q - 12);
        f.sp = sp - (hasValue ? 7 : 6);
        int resultPos = (f.sp) << 2;
        f.sp++;

        long memCost = twoRegionCost(f, inOff, inLen, outOff, outLen);
        long extra = evm.access.warm(to) ? Gas.WARM_ACCESS : Gas.COLD_ACCOUNT_ACCESS;
        if (op == 0xF1 && !value.isZero() && !evm.state.isAlive(to)) extra += Gas.NEW_ACCOUNT;
        if (hasValue && !value.isZero()) extra += Gas.CALL_VALUE;
        long stipend = value.isZero() ? 0 : Gas.CALL_STIPEND;
        long callGas;
        long cost;
        long upfront = saturatingAdd(extra, memCost);
        if (upfront == Long.MAX_VALUE) throw halt(HaltReason.OUT_OF_GAS);
        if (f.gas < upfront) {
            callGas = gasArg;
            cost = saturatingAdd(gasArg, extra);
        } else {
            callGas = Math.min(gasArg, Gas.allButOne64th(f.gas - upfront));
            cost = callGas + extra;
        }
        charge(f, saturatingAdd(cost, memCost));
        if (m.isStatic() && op == 0xF1 && !value.isZero()) throw halt(HaltReason.STATIC_STATE_CHANGE);
        if (evm.tracer != null) evm.tracer.charged(f.gas);
        if (inLen != 0) f.mem.expand(inOff, inLen);
        if (outLen != 0) f.mem.expand(outOff, outLen);

        f.returnData = FrameResult.NONE;
        long childGas = callGas + stipend;
        boolean poor = hasValue && evm.state.balance(m.target()).compareTo(value) < 0;
        if (poor || m.depth() + 1 > Gas.DEPTH_LIMIT) {
            if (evm.tracer != null) {
                evm.tracedFailure(op, child(f, op, to, value, inOff, inLen, childGas),
                        poor ? HaltReason.INSUFFICIENT_BALANCE : HaltReason.CALL_DEPTH_EXCEEDED, childGas);
            }
            putLong(s, resultPos, 0);
            f.gas += childGas;
            return;
        }
        Message child = child(f, op, to, value, inOff, inLen, childGas);
        FrameResult r = evm.tracedCall(op, child);
        f.gas += r.gasLeft();
        f.returnData = r.output();
        putLong(s, resultPos, r.success() ? 1 : 0);
        int n = (int) Math.min(outLen, r.output().length);
        if (n > 0) f.mem.write(outOff, r.output(), 0, n);
    }

    private static Message child(Frame f, int op, Address to, Word value, long inOff, long inLen, long childGas) {
        Evm evm = f.evm;
        Message m = f.m;
        byte[] data = f.mem.read(inOff, inLen);
        byte[] code = evm.state.code(to);
        byte[] codeHash = evm.state.codeHash(to);
        return switch (op) {
            case 0xF1 -> new Message(m.target(), to, to, value, data, code, codeHash, childGas, m.depth() + 1, m.isStatic(), false, true);
            case 0xF2 -> new Message(m.target(), m.target(), to, value, data, code, codeHash, childGas, m.depth() + 1, m.isStatic(), false, true);
            case 0xF4 -> new Message(m.caller(), m.target(), to, m.value(), data, code, codeHash, childGas, m.depth() + 1, m.isStatic(), false, false);
            default -> new Message(m.target(), to, to, Word.ZERO, data, code, codeHash, childGas, m.depth() + 1, true, false, true);
        };
    }

    /** Expansion cost to cover two regions (a zero-size region expands nothing). */
    private static long twoRegionCost(Frame f, long off1, long len1, long off2, long len2) {
        long end = 0;
        if (len1 != 0) {
            if (off1 == Long.MAX_VALUE || len1 == Long.MAX_VALUE) throw halt(HaltReason.OUT_OF_GAS);
            end = off1 + len1;
        }
        if (len2 != 0) {
            if (off2 == Long.MAX_VALUE || len2 == Long.MAX_VALUE) throw halt(HaltReason.OUT_OF_GAS);
            end = Math.max(end, off2 + len2);
        }
        return end == 0 ? 0 : f.mem.expansionCost(0, end);
    }

    static void create(Frame f, boolean create2) {
        Evm evm = f.evm;
        Message m = f.m;
        long[] s = f.s;
        int p = (f.sp - 1) << 2;
        Word value = word(s, p);
        long off = arg(s, p - 4), len = arg(s, p - 8);
        Word salt = create2 ? word(s, p - 12) : null;
        f.sp -= create2 ? 4 : 3;
        int resultPos = f.sp << 2;
        f.sp++;
        if (len == Long.MAX_VALUE) throw halt(HaltReason.OUT_OF_GAS);
        long words = Gas.words(len);
        long cost = Gas.INIT_CODE_WORD * words + (create2 ? Gas.KECCAK256_WORD * words : 0);
        charge(f, cost);
        memory(f, off, len);
        if (len > Gas.MAX_INITCODE_SIZE) throw halt(HaltReason.OUT_OF_GAS);
        byte[] init = f.mem.read(off, len);
        Address self = m.target();
        Address newAddr = create2 ? ContractAddress.create2(self, salt, init) : ContractAddress.create(self, evm.state.nonce(self));
        evm.access.warm(newAddr);
        long childGas = Gas.allButOne64th(f.gas);
        f.gas -= childGas;
        if (evm.tracer != null) evm.tracer.charged(f.gas);
        if (m.isStatic()) throw halt(HaltReason.STATIC_STATE_CHANGE);
        f.returnData = FrameResult.NONE;
        int op = create2 ? 0xF5 : 0xF0;
        Message child = new Message(self, newAddr, newAddr, value, FrameResult.NONE, init, null, childGas, m.depth() + 1, false, true, true);
        boolean poor = evm.state.balance(self).compareTo(value) < 0;
        if (poor || evm.state.nonce(self) == -1L || m.depth() + 1 > Gas.DEPTH_LIMIT) {
            evm.tracedFailure(op, child, poor ? HaltReason.INSUFFICIENT_BALANCE : HaltReason.CALL_DEPTH_EXCEEDED, childGas);
            f.gas += childGas;
            putLong(s, resultPos, 0);
            return;
        }
        if (evm.state.hasCodeOrNonce(newAddr) || evm.state.hasStorage(newAddr)) {
            evm.state.incrementNonce(self);
            evm.tracedFailure(op, child, HaltReason.ADDRESS_COLLISION, 0);
            putLong(s, resultPos, 0);
            return;
        }
        evm.state.incrementNonce(self);
        FrameResult r = evm.tracedCreate(op, child);
        f.gas += r.gasLeft();
        if (r.success()) {
            put(s, resultPos, newAddr.toWord());
        } else {
            f.returnData = r.output();
            putLong(s, resultPos, 0);
        }
    }
}
