package io.flotilla.evm.vm;

/** Why a frame stopped without success. Everything but REVERTED consumes all of the frame's gas. */
public enum HaltReason {
    REVERTED,
    OUT_OF_GAS,
    STACK_UNDERFLOW,
    STACK_OVERFLOW,
    INVALID_JUMP,
    INVALID_OPCODE,
    STATIC_STATE_CHANGE,
    RETURN_DATA_OUT_OF_BOUNDS,
    INVALID_CONTRACT_PREFIX,
    CODE_SIZE_EXCEEDED,
    INITCODE_SIZE_EXCEEDED,
    ADDRESS_COLLISION,
    PRECOMPILE_FAILURE,
    CALL_DEPTH_EXCEEDED,
    /** A CALL or CREATE with more value than its caller holds (only tracers see it: the caller just gets 0). */
    INSUFFICIENT_BALANCE
}
