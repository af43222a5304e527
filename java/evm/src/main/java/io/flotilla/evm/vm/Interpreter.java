package io.flotilla.evm.vm;

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
    private static final int[] STACK_IN = new int[256];
    private static final int[] STACK_OUT = new int[256];
    private static final long[] STATIC_GAS = new long[256];
    private static final boolean[] DEFINED = new boolean[256];

    private static void op(int code, int in, int out, long gas) {
        STACK_IN[code] = in;
        STACK_OUT[code] = out;
        STATIC_GAS[code] = gas;
        DEFINED[code] = true;
    }

    static {
        op(0x00, 0, 0, 0);
        op(0x01, 2, 1, Gas.VERY_LOW);
        op(0x02, 2, 1, Gas.LOW);
        op(0x03, 2, 1, Gas.VERY_LOW);
        op(0x04, 2, 1, Gas.LOW);
        op(0x05, 2, 1, Gas.LOW);
        op(0x06, 2, 1, Gas.LOW);
        op(0x07, 2, 1, Gas.LOW);
        op(0x08, 3, 1, Gas.MID);
        op(0x09, 3, 1, Gas.MID);
        op(0x0A, 2, 1, Gas.EXP);
        op(0x0B, 2, 1, Gas.LOW);
        for (int c = 0x10; c <= 0x14; c++) op(c, 2, 1, Gas.VERY_LOW);
        op(0x15, 1, 1, Gas.VERY_LOW);
        op(0x16, 2, 1, Gas.VERY_LOW);
        op(0x17, 2, 1, Gas.VERY_LOW);
        op(0x18, 2, 1, Gas.VERY_LOW);
        op(0x19, 1, 1, Gas.VERY_LOW);
        for (int c = 0x1A; c <= 0x1D; c++) op(c, 2, 1, Gas.VERY_LOW);
        op(0x20, 2, 1, Gas.KECCAK256);
        op(0x30, 0, 1, Gas.BASE);
        op(0x31, 1, 1, 0);
        op(0x32, 0, 1, Gas.BASE);
        op(0x33, 0, 1, Gas.BASE);
        op(0x34, 0, 1, Gas.BASE);
        op(0x35, 1, 1, Gas.VERY_LOW);
        op(0x36, 0, 1, Gas.BASE);
        op(0x37, 3, 0, Gas.VERY_LOW);
        op(0x38, 0, 1, Gas.BASE);
        op(0x39, 3, 0, Gas.VERY_LOW);
        op(0x3A, 0, 1, Gas.BASE);
        op(0x3B, 1, 1, 0);
        op(0x3C, 4, 0, 0);
        op(0x3D, 0, 1, Gas.BASE);
        op(0x3E, 3, 0, Gas.VERY_LOW);
        op(0x3F, 1, 1, 0);
        op(0x40, 1, 1, Gas.BLOCKHASH);
        for (int c = 0x41; c <= 0x46; c++) op(c, 0, 1, Gas.BASE);
        op(0x47, 0, 1, Gas.LOW);
        op(0x48, 0, 1, Gas.BASE);
        op(0x49, 1, 1, Gas.VERY_LOW);
        op(0x4A, 0, 1, Gas.BASE);
        op(0x50, 1, 0, Gas.BASE);
        op(0x51, 1, 1, Gas.VERY_LOW);
        op(0x52, 2, 0, Gas.VERY_LOW);
        op(0x53, 2, 0, Gas.VERY_LOW);
        op(0x54, 1, 1, 0);
        op(0x55, 2, 0, 0);
        op(0x56, 1, 0, Gas.MID);
        op(0x57, 2, 0, Gas.HIGH);
        op(0x58, 0, 1, Gas.BASE);
        op(0x59, 0, 1, Gas.BASE);
        op(0x5A, 0, 1, Gas.BASE);
        op(0x5B, 0, 0, Gas.JUMPDEST);
        op(0x5C, 1, 1, Gas.WARM_ACCESS);
        op(0x5D, 2, 0, Gas.WARM_ACCESS);
        op(0x5E, 3, 0, Gas.VERY_LOW);
        op(0x5F, 0, 1, Gas.BASE);
        for (int c = 0x60; c <= 0x7F; c++) op(c, 0, 1, Gas.VERY_LOW);
        for (int n = 1; n <= 16; n++) {
            op(0x7F + n, n, n + 1, Gas.VERY_LOW);
            op(0x8F + n, n + 1, n + 1, Gas.VERY_LOW);
        }
        for (int n = 0; n <= 4; n++) op(0xA0 + n, n + 2, 0, Gas.LOG + n * Gas.LOG_TOPIC);
        op(0xF0, 3, 1, Gas.CREATE);
        op(0xF1, 7, 1, 0);
        op(0xF2, 7, 1, 0);
        op(0xF3, 2, 0, 0);
        op(0xF4, 6, 1, 0);
        op(0xF5, 4, 1, Gas.CREATE);
        op(0xFA, 6, 1, 0);
        op(0xFD, 2, 0, 0);
        op(0xFF, 1, 0, Gas.SELF_DESTRUCT);
    }

    /** Mutable per-frame machine state. */
    private static final class Frame {
        final Evm evm;
        final Message m;
        final byte[] code;
        final long[] jumpDests;
        final long[] s = new long[Gas.STACK_LIMIT * 4];
        final Memory mem = new Memory();
        int sp;
        long gas;
        byte[] returnData = FrameResult.NONE;

        Frame(Evm evm, Message m) {
            this.evm = evm;
            this.m = m;
            this.code = m.code();
            this.jumpDests = evm.jumpDests.analyse(m.code(), m.codeHash());
            this.gas = m.gas();
        }
    }

    FrameResult run(Evm evm, Message m) {
        Frame f = new Frame(evm, m);
        try {
            return loop(f);
        } catch (EvmHalt h) {
            return FrameResult.halt(h.reason);
        }
    }

    private static EvmHalt halt(HaltReason r) {
        return new EvmHalt(r);
    }

    private static void charge(Frame f, long cost) {
        if (cost < 0 || f.gas < cost) throw halt(HaltReason.OUT_OF_GAS);
        f.gas -= cost;
    }

    /** A stack word as a memory offset/size, or Long.MAX_VALUE if it can never be paid for. */
    private static long arg(long[] s, int p) {
        if ((s[p + 1] | s[p + 2] | s[p + 3]) != 0 || s[p] < 0 || s[p] > Memory.LIMIT) return Long.MAX_VALUE;
        return s[p];
    }

    /** A stack word clamped to a non-negative long (gas arguments, block numbers). */
    private static long clamp(long[] s, int p) {
        if ((s[p + 1] | s[p + 2] | s[p + 3]) != 0 || s[p] < 0) return Long.MAX_VALUE;
        return s[p];
    }

    private static Word word(long[] s, int p) {
        return new Word(s[p], s[p + 1], s[p + 2], s[p + 3]);
    }

    private static void put(long[] s, int p, Word w) {
        s[p] = w.l0();
        s[p + 1] = w.l1();
        s[p + 2] = w.l2();
        s[p + 3] = w.l3();
    }

    private static void putLong(long[] s, int p, long v) {
        s[p] = v;
        s[p + 1] = 0;
        s[p + 2] = 0;
        s[p + 3] = 0;
    }

    private static Address address(long[] s, int p) {
        return Address.fromLimbs(s[p], s[p + 1], s[p + 2]);
    }

    /** Charges for and performs memory expansion over [off, off+len). */
    private static void memory(Frame f, long off, long len) {
        if (len == 0) return;
        if (off == Long.MAX_VALUE || len == Long.MAX_VALUE) throw halt(HaltReason.OUT_OF_GAS);
        charge(f, f.mem.expansionCost(off, len));
        f.mem.expand(off, len);
    }

    /** Loads 32 big-endian bytes (zero-padded past the end of src) into the word at p. */
    private static void load(long[] s, int p, byte[] src, long off) {
        long l3 = 0, l2 = 0, l1 = 0, l0 = 0;
        for (int i = 0; i < 32; i++) {
            long idx = off + i;
            long b = idx < src.length ? (src[(int) idx] & 0xFFL) : 0;
            if (i < 8) l3 = (l3 << 8) | b;
            else if (i < 16) l2 = (l2 << 8) | b;
            else if (i < 24) l1 = (l1 << 8) | b;
            else l0 = (l0 << 8) | b;
        }
        UInt256.set(s, p, l0, l1, l2, l3);
    }

    private static void store(Memory mem, long off, long[] s, int p) {
        byte[] d = mem.raw();
        int o = (int) off;
        for (int limb = 0; limb < 4; limb++) {
            long v = s[p + 3 - limb];
            for (int i = 7; i >= 0; i--) {
                d[o + limb * 8 + i] = (byte) v;
                v >>>= 8;
            }
        }
    }

    private FrameResult loop(Frame f) {
        final byte[] code = f.code;
        final long[] s = f.s;
        final Message m = f.m;
        final Evm evm = f.evm;
        int pc = 0;
        while (true) {
            if (pc >= code.length) return FrameResult.ok(f.gas, FrameResult.NONE);
            int op = code[pc] & 0xFF;
            int sp = f.sp;
            if (!DEFINED[op]) throw halt(HaltReason.INVALID_OPCODE);
            if (sp < STACK_IN[op]) throw halt(HaltReason.STACK_UNDERFLOW);
            if (sp - STACK_IN[op] + STACK_OUT[op] > Gas.STACK_LIMIT) throw halt(HaltReason.STACK_OVERFLOW);
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
                case 0x35 -> {
                    long off = clamp(s, top);
                    load(s, top, m.data(), off == Long.MAX_VALUE ? m.data().length : off);
                }
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
                    if (off == Long.MAX_VALUE || len == Long.MAX_VALUE || off + len > f.returnData.length) {
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
                    long n = clamp(s, top);
                    long cur = evm.block.number();
                    Word h = (n < cur && cur - n <= 256) ? evm.block.blockHashes().apply(n) : Word.ZERO;
                    put(s, top, h);
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
                case 0x55 -> { sstore(f, word(s, top), word(s, sec)); f.sp = sp - 2; }
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
                case 0xF0, 0xF5 -> create(f, op == 0xF5);
                case 0xF1, 0xF2, 0xF4, 0xFA -> call(f, op);
                case 0xFE -> throw halt(HaltReason.INVALID_OPCODE);
                case 0xFF -> {
                    selfDestruct(f, address(s, top));
                    return FrameResult.ok(f.gas, FrameResult.NONE);
                }
                default -> {
                    if (op >= 0x60 && op <= 0x7F) {
                        int n = op - 0x5F;
                        long l0 = 0, l1 = 0, l2 = 0, l3 = 0;
                        for (int i = 0; i < n; i++) {
                            int idx = pc + 1 + i;
                            long b = idx < code.length ? code[idx] & 0xFFL : 0;
                            int fromRight = n - 1 - i;
                            long v = b << ((fromRight & 7) * 8);
                            switch (fromRight >>> 3) {
                                case 0 -> l0 |= v;
                                case 1 -> l1 |= v;
                                case 2 -> l2 |= v;
                                default -> l3 |= v;
                            }
                        }
                        UInt256.set(s, push, l0, l1, l2, l3);
                        f.sp = sp + 1;
                        pc += n + 1;
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

    private static void sstore(Frame f, Word key, Word value) {
        Evm evm = f.evm;
        Address a = f.m.target();
        if (f.gas <= Gas.CALL_STIPEND) throw halt(HaltReason.OUT_OF_GAS);
        Word original = evm.state.originalStorage(a, key);
        Word current = evm.state.storage(a, key);
        long cost = 0;
        if (!evm.access.warm(a, key)) cost += Gas.COLD_SLOAD;
        if (original.equals(current) && !current.equals(value)) {
            cost += original.isZero() ? Gas.STORAGE_SET : Gas.STORAGE_UPDATE - Gas.COLD_SLOAD;
        } else {
            cost += Gas.WARM_ACCESS;
        }
        long refund = 0;
        if (!current.equals(value)) {
            if (!original.isZero() && !current.isZero() && value.isZero()) refund += Gas.STORAGE_CLEAR_REFUND;
            if (!original.isZero() && current.isZero()) refund -= Gas.STORAGE_CLEAR_REFUND;
            if (original.equals(value)) {
                refund += original.isZero()
                        ? Gas.STORAGE_SET - Gas.WARM_ACCESS
                        : Gas.STORAGE_UPDATE - Gas.COLD_SLOAD - Gas.WARM_ACCESS;
            }
        }
        charge(f, cost);
        if (f.m.isStatic()) throw halt(HaltReason.STATIC_STATE_CHANGE);
        if (refund != 0) evm.substate.addRefund(refund);
        evm.state.setStorage(a, key, value);
    }

    private static void selfDestruct(Frame f, Address beneficiary) {
        Evm evm = f.evm;
        Address self = f.m.target();
        long cost = 0;
        if (!evm.access.warm(beneficiary)) cost += Gas.COLD_ACCOUNT_ACCESS;
        if (!evm.state.isAlive(beneficiary) && !evm.state.balance(self).isZero()) cost += Gas.NEW_ACCOUNT;
        charge(f, cost);
        if (f.m.isStatic()) throw halt(HaltReason.STATIC_STATE_CHANGE);
        Word balance = evm.state.balance(self);
        evm.state.transfer(self, beneficiary, balance);
        // EIP-6780: only a contract created in this transaction is really removed.
        if (evm.state.wasCreated(self)) {
            evm.state.setBalance(self, Word.ZERO);
            evm.substate.markForDeletion(self);
        }
        if (evm.state.existsAndIsEmpty(beneficiary)) evm.substate.touch(beneficiary);
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
    }

    private static void call(Frame f, int op) {
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
        if (f.gas < extra + memCost) {
            callGas = gasArg;
            cost = saturatingAdd(gasArg, extra);
        } else {
            callGas = Math.min(gasArg, Gas.allButOne64th(f.gas - memCost - extra));
            cost = callGas + extra;
        }
        charge(f, saturatingAdd(cost, memCost));
        if (m.isStatic() && op == 0xF1 && !value.isZero()) throw halt(HaltReason.STATIC_STATE_CHANGE);
        if (inLen != 0) f.mem.expand(inOff, inLen);
        if (outLen != 0) f.mem.expand(outOff, outLen);

        f.returnData = FrameResult.NONE;
        if (hasValue && evm.state.balance(m.target()).compareTo(value) < 0) {
            putLong(s, resultPos, 0);
            f.gas += callGas + stipend;
            return;
        }
        if (m.depth() + 1 > Gas.DEPTH_LIMIT) {
            f.gas += callGas + stipend;
            putLong(s, resultPos, 0);
            return;
        }
        byte[] data = f.mem.read(inOff, inLen);
        byte[] code = evm.state.code(to);
        byte[] codeHash = evm.state.codeHash(to);
        long childGas = callGas + stipend;
        Message child = switch (op) {
            case 0xF1 -> new Message(m.target(), to, to, value, data, code, codeHash, childGas, m.depth() + 1, m.isStatic(), false, true);
            case 0xF2 -> new Message(m.target(), m.target(), to, value, data, code, codeHash, childGas, m.depth() + 1, m.isStatic(), false, true);
            case 0xF4 -> new Message(m.caller(), m.target(), to, m.value(), data, code, codeHash, childGas, m.depth() + 1, m.isStatic(), false, false);
            default -> new Message(m.target(), to, to, Word.ZERO, data, code, codeHash, childGas, m.depth() + 1, true, false, true);
        };
        FrameResult r = evm.call(child);
        f.gas += r.gasLeft();
        f.returnData = r.output();
        putLong(s, resultPos, r.success() ? 1 : 0);
        int n = (int) Math.min(outLen, r.output().length);
        if (n > 0) f.mem.write(outOff, r.output(), 0, n);
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

    private static void create(Frame f, boolean create2) {
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
        if (m.isStatic()) throw halt(HaltReason.STATIC_STATE_CHANGE);
        f.returnData = FrameResult.NONE;
        if (evm.state.balance(self).compareTo(value) < 0 || evm.state.nonce(self) == -1L || m.depth() + 1 > Gas.DEPTH_LIMIT) {
            f.gas += childGas;
            putLong(s, resultPos, 0);
            return;
        }
        if (evm.state.hasCodeOrNonce(newAddr) || evm.state.hasStorage(newAddr)) {
            evm.state.incrementNonce(self);
            putLong(s, resultPos, 0);
            return;
        }
        evm.state.incrementNonce(self);
        Message child = new Message(self, newAddr, newAddr, value, FrameResult.NONE, init, null, childGas, m.depth() + 1, false, true, true);
        FrameResult r = evm.create(child);
        f.gas += r.gasLeft();
        if (r.success()) {
            put(s, resultPos, newAddr.toWord());
        } else {
            f.returnData = r.output();
            putLong(s, resultPos, 0);
        }
    }
}
