package io.flotilla.evm.precompile;

/** 0x06: G1 point addition on alt_bn128 (EIP-196, EIP-1108 pricing). */
final class Bn254Add implements Precompile {
    @Override
    public long gas(byte[] input) {
        return 150;
    }

    @Override
    public byte[] run(byte[] input) {
        byte[] in = Precompiles.padded(input, 128);
        try {
            return Bn254.encodeG1(Bn254.add(Bn254.decodeG1(in, 0), Bn254.decodeG1(in, 64)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
