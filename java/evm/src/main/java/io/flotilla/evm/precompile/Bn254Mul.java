package io.flotilla.evm.precompile;

/** 0x07: G1 scalar multiplication on alt_bn128 (EIP-196, EIP-1108 pricing). */
final class Bn254Mul implements Precompile {
    @Override
    public long gas(byte[] input) {
        return 6000;
    }

    @Override
    public byte[] run(byte[] input) {
        return Bn254.mul(Precompiles.padded(input, 96));
    }
}
