package io.flotilla.evm.precompile;

import java.math.BigInteger;
import java.util.Arrays;

/** 0x07: G1 scalar multiplication on alt_bn128 (EIP-196, EIP-1108 pricing). */
final class Bn254Mul implements Precompile {
    @Override
    public long gas(byte[] input) {
        return 6000;
    }

    @Override
    public byte[] run(byte[] input) {
        byte[] in = Precompiles.padded(input, 96);
        try {
            BigInteger k = new BigInteger(1, Arrays.copyOfRange(in, 64, 96));
            return Bn254.encodeG1(Bn254.mul(Bn254.decodeG1(in, 0), k));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
