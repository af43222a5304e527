package io.flotilla.evm.vm;

/**
 * Observes one transaction's execution (debug_trace*). An {@link Evm} without a tracer pays one null check per
 * instruction and nothing else; every method here runs on the executing thread and must not change the state.
 */
public interface Tracer {
    /**
     * A frame begins: the transaction's own frame ({@code op} 0xF1 for a call, 0xF0 for a creation) or a child made
     * by CALL (0xF1), CALLCODE (0xF2), DELEGATECALL (0xF4), STATICCALL (0xFA), CREATE (0xF0) or CREATE2 (0xF5).
     * Every enter is matched by one {@link #exit}.
     */
    default void enter(int op, Message m) {
    }

    /** The frame last entered ends with {@code r} (a creation's output is the deployed code). */
    default void exit(FrameResult r) {
    }

    /** Before an instruction runs, before any of its gas is charged. */
    default void step(int pc, int op, StepContext frame) {
    }

    /**
     * A CALL-family or CREATE-family instruction has charged its own gas (for a call, including the gas it hands to
     * the child, as geth counts it) and the frame holds {@code gasLeft}; sent before the child is entered.
     */
    default void charged(long gasLeft) {
    }

    /** The frame being stepped, as a tracer may read it during {@link #step}. */
    interface StepContext {
        Message message();

        long gas();

        int depth();

        /** Words on the stack. */
        int stackSize();

        /** The stack word {@code i} places below the top (0 = top). */
        io.flotilla.evm.types.Word stackWord(int i);

        /** The bytes of memory in use (a multiple of 32). */
        long memorySize();

        /** A copy of memory [0, memorySize). */
        byte[] memory();

        /** The refund counter of the transaction so far. */
        long refund();

        /** The current value of a storage slot of {@code message().target()}. */
        io.flotilla.evm.types.Word storage(io.flotilla.evm.types.Word key);

        /** The return data buffer of the frame (the output of its last child). */
        byte[] returnData();
    }
}
