package io.flotilla.evm.vm;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Mutable machine state of one frame (stack, memory, gas) plus the stack/memory helpers opcodes share. */
final class Frame implements Tracer.StepContext {
    final Evm evm;
    final Message m;
    final byte[] code;
    final long[] jumpDests;
    /** The operand stack (4 limbs per word); replaced by a larger copy when it fills up, see {@link #growStack}. */
    long[] s;
    final Memory mem = new Memory();
    int sp;
    /** Where the interpreter loop resumes after the stack grew. */
    int resumePc;
    long gas;
    byte[] returnData = FrameResult.NONE;

    Frame(Evm evm, Message m) {
        this.evm = evm;
        this.m = m;
        this.code = m.code();
        this.s = evm.stackFor(m.depth());
        this.jumpDests = evm.jumpDests.analyse(m.code(), m.codeHash());
        this.gas = m.gas();
    }

    /** Set when the loop returns to grow the stack: the instruction it resumes at was already traced. */
    boolean traced;

    @Override
    public Message message() {
        return m;
    }

    @Override
    public long gas() {
        return gas;
    }

    @Override
    public int depth() {
        return m.depth();
    }

    @Override
    public int stackSize() {
        return sp;
    }

    @Override
    public Word stackWord(int i) {
        return word(s, (sp - 1 - i) << 2);
    }

    @Override
    public long memorySize() {
        return mem.size();
    }

    @Override
    public byte[] memory() {
        return mem.read(0, mem.size());
    }

    @Override
    public long refund() {
        return evm.substate.refund();
    }

    @Override
    public Word storage(Word key) {
        return evm.state.storage(m.target(), key);
    }

    @Override
    public byte[] returnData() {
        return returnData;
    }

    /** Makes room for {@code words} stack words (<= STACK_LIMIT); returns the new array, also stored in s. */
    long[] growStack(int words) {
        s = evm.growStack(m.depth(), s, words);
        return s;
    }

    static EvmHalt halt(HaltReason r) {
        return new EvmHalt(r);
    }

    static void charge(Frame f, long cost) {
        if (cost < 0 || f.gas < cost) throw halt(HaltReason.OUT_OF_GAS);
        f.gas -= cost;
    }

    /** A stack word as a memory offset/size, or Long.MAX_VALUE if it can never be paid for. */
    static long arg(long[] s, int p) {
        if ((s[p + 1] | s[p + 2] | s[p + 3]) != 0 || s[p] < 0 || s[p] > Memory.LIMIT) return Long.MAX_VALUE;
        return s[p];
    }

    /** A stack word clamped to a non-negative long (gas arguments, block numbers). */
    static long clamp(long[] s, int p) {
        if ((s[p + 1] | s[p + 2] | s[p + 3]) != 0 || s[p] < 0) return Long.MAX_VALUE;
        return s[p];
    }

    static Word word(long[] s, int p) {
        return new Word(s[p], s[p + 1], s[p + 2], s[p + 3]);
    }

    static void put(long[] s, int p, Word w) {
        s[p] = w.l0();
        s[p + 1] = w.l1();
        s[p + 2] = w.l2();
        s[p + 3] = w.l3();
    }

    static void putLong(long[] s, int p, long v) {
        s[p] = v;
        s[p + 1] = 0;
        s[p + 2] = 0;
        s[p + 3] = 0;
    }

    static Address address(long[] s, int p) {
        return Address.fromLimbs(s[p], s[p + 1], s[p + 2]);
    }

    /** Charges for and performs memory expansion over [off, off+len). */
    static void memory(Frame f, long off, long len) {
        if (len == 0) return;
        if (off == Long.MAX_VALUE || len == Long.MAX_VALUE) throw halt(HaltReason.OUT_OF_GAS);
        long cost = f.mem.expansionCost(off, len);
        // Long.MAX_VALUE marks a memory no Java array can hold: out of gas even for a frame holding that much gas.
        if (cost == Long.MAX_VALUE) throw halt(HaltReason.OUT_OF_GAS);
        charge(f, cost);
        f.mem.expand(off, len);
    }

    static final VarHandle BIG_ENDIAN_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    /** The big-endian long formed by code[max(start, to-8) .. to), reading zeros past the end of code. */
    static long limb(byte[] code, int start, int to) {
        int from = Math.max(start, to - 8);
        if (from >= to) return 0;
        if (to - from == 8 && to <= code.length) return (long) BIG_ENDIAN_LONG.get(code, from);
        long v = 0;
        for (int i = from; i < to; i++) v = (v << 8) | (i < code.length ? code[i] & 0xFFL : 0);
        return v;
    }

    /**
     * Loads 32 big-endian bytes of src starting at off into the word at p, reading zeros past the end of src
     * (buffer_read in the specs). Any off >= 0 is valid: offsets at or beyond src.length load zero, and no
     * sum here can overflow because off is only added to once it is known to be below src.length.
     */
    static void load(long[] s, int p, byte[] src, long off) {
        if (off >= 0 && off <= src.length - 32L) {
            int o = (int) off;
            UInt256.set(s, p, (long) BIG_ENDIAN_LONG.get(src, o + 24), (long) BIG_ENDIAN_LONG.get(src, o + 16),
                    (long) BIG_ENDIAN_LONG.get(src, o + 8), (long) BIG_ENDIAN_LONG.get(src, o));
            return;
        }
        if (off < 0 || off >= src.length) {
            UInt256.set(s, p, 0, 0, 0, 0);
            return;
        }
        int start = (int) off;
        long l3 = 0, l2 = 0, l1 = 0, l0 = 0;
        for (int i = 0; i < 32; i++) {
            int idx = start + i;
            long b = idx < src.length ? (src[idx] & 0xFFL) : 0;
            if (i < 8) l3 = (l3 << 8) | b;
            else if (i < 16) l2 = (l2 << 8) | b;
            else if (i < 24) l1 = (l1 << 8) | b;
            else l0 = (l0 << 8) | b;
        }
        UInt256.set(s, p, l0, l1, l2, l3);
    }

    static void store(Memory mem, long off, long[] s, int p) {
        byte[] d = mem.raw();
        int o = (int) off;
        BIG_ENDIAN_LONG.set(d, o, s[p + 3]);
        BIG_ENDIAN_LONG.set(d, o + 8, s[p + 2]);
        BIG_ENDIAN_LONG.set(d, o + 16, s[p + 1]);
        BIG_ENDIAN_LONG.set(d, o + 24, s[p]);
    }
}
