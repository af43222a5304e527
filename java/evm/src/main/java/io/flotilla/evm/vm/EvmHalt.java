package io.flotilla.evm.vm;

/** Thrown inside the interpreter to abort the current frame; carries no stack trace (it is control flow). */
final class EvmHalt extends RuntimeException {
    final HaltReason reason;

    EvmHalt(HaltReason reason) {
        super(reason.name(), null, false, false);
        this.reason = reason;
    }
}
