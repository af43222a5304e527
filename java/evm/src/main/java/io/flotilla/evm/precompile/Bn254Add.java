package io.flotilla.evm.precompile;

/** 0x06: G1 point addition on alt_bn128 (EIP-196, EIP-1108 pricing). */
final class Bn254Add implements Precompile {
    @Override
    public long gas(byte[] input) {
        return 150;
    }

    @Override
    public byte[] run(byte[] input) {
        return Bn254.add(input.length >= 128 ? input : Precompiles.padded(input, 128)); // only the first 128 bytes are read
    }
}
