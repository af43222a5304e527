package io.flotilla.evm.precompile;

/** A native contract: a gas price for an input and a pure function of it. */
public interface Precompile {
    long gas(byte[] input);

    /** The output, or null when the input is invalid (the call then fails and consumes all gas). */
    byte[] run(byte[] input);
}
