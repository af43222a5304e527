package io.flotilla.evm.vm;

/** The outcome of one message frame; {@code error} is null on success. */
public record FrameResult(HaltReason error, long gasLeft, byte[] output) {
    static final byte[] NONE = new byte[0];

    public boolean success() {
        return error == null;
    }

    static FrameResult ok(long gasLeft, byte[] output) {
        return new FrameResult(null, gasLeft, output);
    }

    /** Exceptional halt: all gas gone, no output. */
    static FrameResult halt(HaltReason reason) {
        return new FrameResult(reason, 0, NONE);
    }
}
