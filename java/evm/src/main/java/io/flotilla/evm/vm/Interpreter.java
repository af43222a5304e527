package io.flotilla.evm.vm;

import static io.flotilla.evm.vm.Frame.address;
import static io.flotilla.evm.vm.Frame.arg;
import static io.flotilla.evm.vm.Frame.charge;
import static io.flotilla.evm.vm.Frame.clamp;
import static io.flotilla.evm.vm.Frame.halt;
import static io.flotilla.evm.vm.Frame.limb;
import static io.flotilla.evm.vm.Frame.load;
import static io.flotilla.evm.vm.Frame.memory;
import static io.flotilla.evm.vm.Frame.put;
import static io.flotilla.evm.vm.Frame.putLong;
import static io.flotilla.evm.vm.Frame.store;
import static io.flotilla.evm.vm.Frame.word;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.state.Log;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytecode loop. Words live unboxed on a long[] stack (4 limbs each); stack bounds and the
 * static part of each opcode's gas are checked from tables before dispatch, dynamic gas inside.
 */
final class Interpreter {
    private static final int[] STACK_IN = OpcodeTable.STACK_IN;
    private static final int[] STACK_OUT = OpcodeTable.STACK_OUT;
    private static final long[] STATIC_GAS = OpcodeTable.STATIC_GAS;
    private static final boolean[] DEFINED = OpcodeTable.DEFINED;

    FrameResult run(Evm evm, Message m) {
        Frame f = new Frame(evm, m);
        try {
            FrameResult r;
            int pc = 0;
            // null: the stack grew; run on with the new array from the same instruction (at most 4 times a depth)
            while ((r = loop(f, pc)) == null) pc = f.resumePc;
            return r;
        } catch (EvmHalt h) {
            return FrameResult.halt(h.reason);
        }
    }

    private FrameResult loop(Frame f, int startPc) {
        final byte[] code = f.code;
        final long[] s = f.s;
        final int capacity = s.length >>> 2; // words; never above STACK_LIMIT
        final Message m = f.m;
        final Evm evm = f.evm;
        final Tracer tracer = evm.tracer; // null unless tracing: one predictable branch per instruction
        int pc = startPc;
        while (true) {
            if (pc >= code.length) return FrameResult.ok(f.gas, FrameResult.NONE);
            int op = code[pc] & 0xFF;
            int sp = f.sp;
            if (tracer != null) {
                if (f.traced) f.traced = false;
                else tracer.step(pc, op, f);
            }
            if (!DEFINED[op]) throw halt(HaltReason.INVALID_OPCODE);
            if (sp < STACK_IN[op]) throw halt(HaltReason.STACK_UNDERFLOW);
            int newSp = sp - STACK_IN[op] + STACK_OUT[op];
            // One compare on the hot path, as before stacks could grow: the limit is only checked when growing.
            if (newSp > capacity) {
                if (newSp > Gas.STACK_LIMIT) throw halt(HaltReason.STACK_OVERFLOW);
                f.growStack(newSp);
                f.resumePc = pc; // nothing of this instruction has run yet, not even its gas
                f.traced = tracer != null;
                return null;
            }
            long g = STATIC_GAS[op];
            if (f.gas < g) throw halt(HaltReason.OUT_OF_GAS);
            f.gas -= g;
            final int top = (sp - 1) << 2;
            final int sec = top - 4;
            final int third = top - 8;
            final int push = sp << 2;
            switch (op) {
                case 0x00 -> {
                    return FrameResult.ok(f.gas, FrameResult.NONE);
                }
                case 0x01 -> { UInt256.add(s, top, sec); f.sp = sp - 1; }
                case 0x02 -> { UInt256.mul(s, top, sec); f.sp = sp - 1; }
                case 0x03 -> { UInt256.sub(s, top, sec); f.sp = sp - 1; }
                case 0x04 -> { UInt256.div(s, top, sec); f.sp = sp - 1; }
                case 0x05 -> { UInt256.sdiv(s, top, sec); f.sp = sp - 1; }
                case 0x06 -> { UInt256.mod(s, top, sec); f.sp = sp - 1; }
                case 0x07 -> { UInt256.smod(s, top, sec); f.sp = sp - 1; }
                case 0x08 -> { UInt256.addmod(s, top, sec, third); f.sp = sp - 2; }
                case 0x09 -> { UInt256.mulmod(s, top, sec, third); f.sp = sp - 2; }
                case 0x0A -> {
                    charge(f, Gas.EXP_BYTE * UInt256.byteLength(s, sec));
                    UInt256.exp(s, top, sec);
                    f.sp = sp - 1;
                }
                case 0x0B -> { UInt256.signextend(s, top, sec); f.sp = sp - 1; }
                case 0x10 -> { putLong(s, sec, UInt256.compare(s, top, sec) < 0 ? 1 : 0); f.sp = sp - 1; }
                case 0x11 -> { putLong(s, sec, UInt256.compare(s, top, sec) > 0 ? 1 : 0); f.sp = sp - 1; }
                case 0x12 -> { putLong(s, sec, UInt256.compareSigned(s, top, sec) < 0 ? 1 : 0); f.sp = sp - 1; }
                case 0x13 -> { putLong(s, sec, UInt256.compareSigned(s, top, sec) > 0 ? 1 : 0); f.sp = sp - 1; }
                case 0x14 -> { putLong(s, sec, UInt256.compare(s, top, sec) == 0 ? 1 : 0); f.sp = sp - 1; }
                case 0x15 -> putLong(s, top, UInt256.isZero(s, top) ? 1 : 0);
                case 0x16 -> {
                    for (int i = 0; i < 4; i++) s[sec + i] &= s[top + i];
                    f.sp = sp - 1;
                }
                case 0x17 -> {
                    for (int i = 0; i < 4; i++) s[sec + i] |= s[top + i];
                    f.sp = sp - 1;
                }
                case 0x18 -> {
                    for (int i = 0; i < 4; i++) s[sec + i] ^= s[top + i];
                    f.sp = sp - 1;
                }
                case 0x19 -> {
                    for (int i = 0; i < 4; i++) s[top + i] = ~s[top + i];
                }
                case 0x1A -> { UInt256.byteOp(s, top, sec); f.sp = sp - 1; }
                case 0x1B -> { UInt256.shl(s, top, sec); f.sp = sp - 1; }
                case 0x1C -> { UInt256.shr(s, top, sec); f.sp = sp - 1; }
                case 0x1D -> { UInt256.sar(s, top, sec); f.sp = sp - 1; }
                case 0x20 -> {
                    long off = arg(s, top), len = arg(s, sec);
                    if (len != Long.MAX_VALUE) charge(f, Gas.KECCAK256_WORD * Gas.words(len));
                    memory(f, off, len);
                    byte[] h = len == 0 ? Keccak.EMPTY : Keccak.hash(f.mem.raw(), (int) off, (int) len);
                    load(s, sec, h, 0);
                    f.sp = sp - 1;
                }
                case 0x30 -> { put(s, push, m.target().toWord()); f.sp = sp + 1; }
                case 0x31 -> {
                    Address a = address(s, top);
                    charge(f, evm.access.warm(a) ? Gas.WARM_ACCESS : Gas.COLD_ACCOUNT_ACCESS);
                    put(s, top, evm.state.balance(a));
                }
                case 0x32 -> { put(s, push, evm.tx.origin().toWord()); f.sp = sp + 1; }
                case 0x33 -> { put(s, push, m.caller().toWord()); f.sp = sp + 1; }
                case 0x34 -> { put(s, push, m.value()); f.sp = sp + 1; }
                case 0x35 -> load(s, top, m.data(), clamp(s, top)); // offsets past the data (any size) load zeros
                case 0x36 -> { putLong(s, push, m.data().length); f.sp = sp + 1; }
                case 0x37 -> { copy(f, m.data(), top); f.sp = sp - 3; }
                case 0x38 -> { putLong(s, push, code.length); f.sp = sp + 1; }
                case 0x39 -> { copy(f, code, top); f.sp = sp - 3; }
                case 0x3A -> { put(s, push, evm.tx.gasPrice()); f.sp = sp + 1; }
                case 0x3B -> {
                    Address a = address(s, top);
                    charge(f, evm.access.warm(a) ? Gas.WARM_ACCESS : Gas.COLD_ACCOUNT_ACCESS);
                    putLong(s, top, evm.state.code(a).length);
                }
                case 0x3C -> {
                    Address a = address(s, top);
                    charge(f, evm.access.warm(a) ? Gas.WARM_ACCESS : Gas.COLD_ACCOUNT_ACCESS);
                    copy(f, evm.state.code(a), sec);
                    f.sp = sp - 4;
                }
                case 0x3D -> { putLong(s, push, f.returnData.length); f.sp = sp + 1; }
                case 0x3E -> {
                    long dst = arg(s, top), len = arg(s, third);
                    long off = clamp(s, sec);
                    if (len == Long.MAX_VALUE || off > f.returnData.length || len > f.returnData.length - off) {
                        throw halt(HaltReason.RETURN_DATA_OUT_OF_BOUNDS);
                    }
                    charge(f, Gas.COPY_WORD * Gas.words(len));
                    memory(f, dst, len);
                    f.mem.writePadded(dst, f.returnData, off, len);
                    f.sp = sp - 3;
                }
                case 0x3F -> {
                    Address a = address(s, top);
                    charge(f, evm.access.warm(a) ? Gas.WARM_ACCESS : Gas.COLD_ACCOUNT_ACCESS);
                    put(s, top, evm.state.codeHashForOpcode(a));
                }
                case 0x40 -> {
                    // Block numbers are unsigned 64-bit; a number that does not fit in 64 bits is never in range.
                    boolean fits = (s[top + 1] | s[top + 2] | s[top + 3]) == 0;
                    long n = s[top];
                    long cur = evm.block.number();
                    boolean recent = fits && Long.compareUnsigned(n, cur) < 0 && Long.compareUnsigned(cur - n, 256) <= 0;
                    put(s, top, recent ? evm.block.blockHashes().apply(n) : Word.ZERO);
                }
                case 0x41 -> { put(s, push, evm.block.coinbase().toWord()); f.sp = sp + 1; }
                case 0x42 -> { putLong(s, push, evm.block.timestamp()); f.sp = sp + 1; }
                case 0x43 -> { putLong(s, push, evm.block.number()); f.sp = sp + 1; }
                case 0x44 -> { put(s, push, evm.block.prevRandao()); f.sp = sp + 1; }
                case 0x45 -> { putLong(s, push, evm.block.gasLimit()); f.sp = sp + 1; }
                case 0x46 -> { putLong(s, push, evm.block.chainId()); f.sp = sp + 1; }
                case 0x47 -> { put(s, push, evm.state.balance(m.target())); f.sp = sp + 1; }
                case 0x48 -> { put(s, push, evm.block.baseFee()); f.sp = sp + 1; }
                case 0x49 -> {
                    long i = clamp(s, top);
                    List<Word> hashes = evm.tx.blobHashes();
                    put(s, top, i < hashes.size() ? hashes.get((int) i) : Word.ZERO);
                }
                case 0x4A -> { put(s, push, evm.block.blobBaseFee()); f.sp = sp + 1; }
                case 0x50 -> f.sp = sp - 1;
                case 0x51 -> {
                    long off = arg(s, top);
                    memory(f, off, 32);
                    load(s, top, f.mem.raw(), off);
                }
                case 0x52 -> {
                    long off = arg(s, top);
                    memory(f, off, 32);
                    store(f.mem, off, s, sec);
                    f.sp = sp - 2;
                }
                case 0x53 -> {
                    long off = arg(s, top);
                    memory(f, off, 1);
                    f.mem.setByte(off, (byte) s[sec]);
                    f.sp = sp - 2;
                }
                case 0x54 -> {
                    Word key = word(s, top);
                    charge(f, evm.access.warm(m.target(), key) ? Gas.WARM_ACCESS : Gas.COLD_SLOAD);
                    put(s, top, evm.state.storage(m.target(), key));
                }
                case 0x55 -> { StateOps.sstore(f, word(s, top), word(s, sec)); f.sp = sp - 2; }
                case 0x56 -> {
                    // Every long-running loop jumps, so this is where a timed-out caller is noticed.
                    if (Thread.currentThread().isInterrupted()) throw new ExecutionInterrupted();
                    long dest = clamp(s, top);
                    if (!JumpDestCache.isJumpDest(f.jumpDests, dest, code.length)) throw halt(HaltReason.INVALID_JUMP);
                    f.sp = sp - 1;
                    pc = (int) dest;
                    continue;
                }
                case 0x57 -> {
                    f.sp = sp - 2;
                    if (!UInt256.isZero(s, sec)) {
                        if (Thread.currentThread().isInterrupted()) throw new ExecutionInterrupted();
                        long dest = clamp(s, top);
                        if (!JumpDestCache.isJumpDest(f.jumpDests, dest, code.length)) throw halt(HaltReason.INVALID_JUMP);
                        pc = (int) dest;
                        continue;
                    }
                }
                case 0x58 -> { putLong(s, push, pc); f.sp = sp + 1; }
                case 0x59 -> { putLong(s, push, f.mem.size()); f.sp = sp + 1; }
                case 0x5A -> { putLong(s, push, f.gas); f.sp = sp + 1; }
                case 0x5B -> { }
                case 0x5C -> put(s, top, evm.transientStorage.get(m.target(), word(s, top)));
                case 0x5D -> {
                    if (m.isStatic()) throw halt(HaltReason.STATIC_STATE_CHANGE);
                    evm.transientStorage.set(m.target(), word(s, top), word(s, sec));
                    f.sp = sp - 2;
                }
                case 0x5E -> {
                    long dst = arg(s, top), src = arg(s, sec), len = arg(s, third);
                    if (len != 0) {
                        if (len == Long.MAX_VALUE) throw halt(HaltReason.OUT_OF_GAS);
                        charge(f, Gas.COPY_WORD * Gas.words(len));
                        memory(f, Math.max(dst, src), len);
                        f.mem.copyWithin(dst, src, len);
                    }
                    f.sp = sp - 3;
                }
                case 0x5F -> { putLong(s, push, 0); f.sp = sp + 1; }
                case 0xF3, 0xFD -> {
                    long off = arg(s, top), len = arg(s, sec);
                    memory(f, off, len);
                    byte[] out = f.mem.read(off, len);
                    return op == 0xF3 ? FrameResult.ok(f.gas, out) : new FrameResult(HaltReason.REVERTED, f.gas, out);
                }
                case 0xF0, 0xF5 -> MessageCalls.create(f, op == 0xF5);
                case 0xF1, 0xF2, 0xF4, 0xFA -> MessageCalls.call(f, op);
                case 0xFE -> throw halt(HaltReason.INVALID_OPCODE);
                case 0xFF -> {
                    StateOps.selfDestruct(f, address(s, top));
                    return FrameResult.ok(f.gas, FrameResult.NONE);
                }
                default -> {
                    if (op >= 0x60 && op <= 0x7F) {
                        int n = op - 0x5F;
                        int end = pc + 1 + n;
                        int start = pc + 1;
                        if (n == 1) {
                            putLong(s, push, start < code.length ? code[start] & 0xFFL : 0);
                        } else if (n <= 8) {
                            putLong(s, push, limb(code, start, end));
                        } else {
                            UInt256.set(s, push, limb(code, start, end), limb(code, start, end - 8), limb(code, start, end - 16), limb(code, start, end - 24));
                        }
                        f.sp = sp + 1;
                        pc = end;
                        continue;
                    } else if (op >= 0x80 && op <= 0x8F) {
                        System.arraycopy(s, (sp - (op - 0x7F)) << 2, s, push, 4);
                        f.sp = sp + 1;
                    } else if (op >= 0x90 && op <= 0x9F) {
                        int other = (sp - 1 - (op - 0x8F)) << 2;
                        for (int i = 0; i < 4; i++) {
                            long t = s[top + i];
                            s[top + i] = s[other + i];
                            s[other + i] = t;
                        }
                    } else if (op >= 0xA0 && op <= 0xA4) {
                        log(f, op - 0xA0);
                    } else {
                        throw halt(HaltReason.INVALID_OPCODE);
                    }
                }
            }
            pc++;
        }
    }

    /** CALLDATACOPY/CODECOPY/EXTCODECOPY tail: dest, offset, size starting at stack index p. */
    private static void copy(Frame f, byte[] src, int p) {
        long[] s = f.s;
        long dst = arg(s, p), len = arg(s, p - 8);
        long off = clamp(s, p - 4);
        if (len == 0) return;
        if (len == Long.MAX_VALUE) throw halt(HaltReason.OUT_OF_GAS);
        charge(f, Gas.COPY_WORD * Gas.words(len));
        memory(f, dst, len);
        f.mem.writePadded(dst, src, off == Long.MAX_VALUE ? src.length : off, len);
    }

    private static void log(Frame f, int topics) {
        if (f.m.isStatic()) throw halt(HaltReason.STATIC_STATE_CHANGE);
        long[] s = f.s;
        int top = (f.sp - 1) << 2;
        long off = arg(s, top), len = arg(s, top - 4);
        if (len == Long.MAX_VALUE) throw halt(HaltReason.OUT_OF_GAS);
        charge(f, Gas.LOG_DATA * len);
        memory(f, off, len);
        List<Word> t = new ArrayList<>(topics);
        for (int i = 0; i < topics; i++) t.add(word(s, top - 8 - 4 * i));
        f.evm.substate.addLog(new Log(f.m.target(), List.copyOf(t), f.mem.read(off, len)));
        f.sp -= 2 + topics;
    }
}
