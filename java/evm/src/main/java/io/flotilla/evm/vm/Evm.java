package io.flotilla.evm.vm;

import io.flotilla.evm.precompile.Precompile;
import io.flotilla.evm.precompile.Precompiles;
import io.flotilla.evm.state.AccessSets;
import io.flotilla.evm.state.Journal;
import io.flotilla.evm.state.JournaledState;
import io.flotilla.evm.state.Substate;
import io.flotilla.evm.state.TransientStorage;
import io.flotilla.evm.types.Address;

/**
 * Runs message frames for one transaction: snapshots, value transfer, precompiles, code execution
 * and contract deployment (process_message / process_create_message in the specs).
 */
public final class Evm {
    private static final Address RIPEMD160 = Address.precompile(3);

    final JournaledState state;
    final AccessSets access;
    final TransientStorage transientStorage;
    final Substate substate;
    final Journal journal;
    final BlockEnv block;
    final TxContext tx;
    final Precompiles precompiles;
    final JumpDestCache jumpDests;
    /** Null unless this transaction is traced. */
    final Tracer tracer;
    private final Interpreter interpreter = new Interpreter();
    /** Words an operand stack starts with; it doubles on demand up to {@link Gas#STACK_LIMIT}. */
    static final int INITIAL_STACK_WORDS = 64;
    /**
     * One operand stack per call depth: frames at the same depth never overlap, so they can share. Stacks start
     * small (2 KiB) and grow when a frame needs more, so a deep call chain does not cost 32 KiB per level.
     */
    private final long[][] stacks = new long[Gas.DEPTH_LIMIT + 1][];

    public Evm(JournaledState state, AccessSets access, TransientStorage transientStorage, Substate substate,
               Journal journal, BlockEnv block, TxContext tx, Precompiles precompiles, JumpDestCache jumpDests) {
        this(state, access, transientStorage, substate, journal, block, tx, precompiles, jumpDests, null);
    }

    /** As above, reporting to {@code tracer} (may be null: no tracing). */
    public Evm(JournaledState state, AccessSets access, TransientStorage transientStorage, Substate substate,
               Journal journal, BlockEnv block, TxContext tx, Precompiles precompiles, JumpDestCache jumpDests, Tracer tracer) {
        this.state = state;
        this.access = access;
        this.transientStorage = transientStorage;
        this.substate = substate;
        this.journal = journal;
        this.block = block;
        this.tx = tx;
        this.precompiles = precompiles;
        this.jumpDests = jumpDests;
        this.tracer = tracer;
    }

    /** The tracer of this transaction, or null. */
    public Tracer tracer() {
        return tracer;
    }

    /** The frame a CALL-family instruction makes, reported to the tracer (if any) around it. */
    FrameResult tracedCall(int op, Message m) {
        if (tracer == null) return call(m);
        tracer.enter(op, m);
        FrameResult r = call(m);
        tracer.exit(r);
        return r;
    }

    /** As {@link #tracedCall} for CREATE and CREATE2. */
    FrameResult tracedCreate(int op, Message m) {
        if (tracer == null) return create(m);
        tracer.enter(op, m);
        FrameResult r = create(m);
        tracer.exit(r);
        return r;
    }

    /** A child frame that failed before it started (depth, balance, collision): shown to a tracer as entered and left. */
    void tracedFailure(int op, Message m, HaltReason why, long gasLeft) {
        if (tracer == null) return;
        tracer.enter(op, m);
        tracer.exit(new FrameResult(why, gasLeft, FrameResult.NONE));
    }

    long[] stackFor(int depth) {
        long[] st = stacks[depth];
        if (st == null) {
            st = new long[INITIAL_STACK_WORDS * 4];
            stacks[depth] = st;
        }
        return st;
    }

    /**
     * A copy of the stack at this depth with room for at least {@code words} words (at most STACK_LIMIT),
     * kept for later frames at the same depth.
     */
    long[] growStack(int depth, long[] old, int words) {
        int n = old.length >>> 2;
        while (n < words) n <<= 1;
        long[] st = java.util.Arrays.copyOf(old, Math.min(n, Gas.STACK_LIMIT) * 4);
        stacks[depth] = st;
        return st;
    }

    /** A message call frame; reverts its own changes on failure. */
    public FrameResult call(Message m) {
        int snapshot = journal.snapshot();
        if (m.transfersValue() && !m.value().isZero()) {
            state.transfer(m.caller(), m.target(), m.value());
        }
        FrameResult r = execute(m);
        if (r.success()) {
            if (state.existsAndIsEmpty(m.target())) substate.touch(m.target());
        } else {
            journal.revertTo(snapshot);
            if (m.target().equals(RIPEMD160) && state.existsAndIsEmpty(RIPEMD160)) substate.touchSticky(RIPEMD160);
        }
        return r;
    }

    /** A contract creation frame at m.target(); the caller has already checked for collisions. */
    public FrameResult create(Message m) {
        int snapshot = journal.snapshot();
        state.clearStorage(m.target());
        state.markCreated(m.target());
        state.incrementNonce(m.target());
        if (!m.value().isZero()) state.transfer(m.caller(), m.target(), m.value());
        FrameResult r = execute(m);
        if (!r.success()) {
            journal.revertTo(snapshot);
            return r;
        }
        byte[] code = r.output();
        if (code.length > 0 && (code[0] & 0xFF) == 0xEF) {
            journal.revertTo(snapshot);
            return FrameResult.halt(HaltReason.INVALID_CONTRACT_PREFIX);
        }
        long deposit = code.length * Gas.CODE_DEPOSIT;
        if (deposit > r.gasLeft()) {
            journal.revertTo(snapshot);
            return FrameResult.halt(HaltReason.OUT_OF_GAS);
        }
        if (code.length > Gas.MAX_CODE_SIZE) {
            journal.revertTo(snapshot);
            return FrameResult.halt(HaltReason.CODE_SIZE_EXCEEDED);
        }
        state.setCode(m.target(), code);
        if (state.existsAndIsEmpty(m.target())) substate.touch(m.target());
        return FrameResult.ok(r.gasLeft() - deposit, code);
    }

    private FrameResult execute(Message m) {
        if (!m.isCreate()) {
            Precompile p = precompiles.get(m.codeAddress());
            if (p != null) return runPrecompile(p, m);
        }
        if (m.code().length == 0) return FrameResult.ok(m.gas(), FrameResult.NONE);
        return interpreter.run(this, m);
    }

    private static FrameResult runPrecompile(Precompile p, Message m) {
        long cost = p.gas(m.data());
        // Long.MAX_VALUE is what a gas function reports for a price beyond 63 bits: never payable.
        if (cost < 0 || cost == Long.MAX_VALUE || cost > m.gas()) return FrameResult.halt(HaltReason.OUT_OF_GAS);
        byte[] out = p.run(m.data());
        if (out == null) return FrameResult.halt(HaltReason.PRECOMPILE_FAILURE);
        return FrameResult.ok(m.gas() - cost, out);
    }
}
