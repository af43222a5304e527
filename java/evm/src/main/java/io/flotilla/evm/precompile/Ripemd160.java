package io.flotilla.evm.precompile;

import org.bouncycastle.crypto.digests.RIPEMD160Digest;

/** 0x03: RIPEMD-160, left-padded to 32 bytes. */
final class Ripemd160 implements Precompile {
    @Override
    public long gas(byte[] input) {
        return 600 + 120 * Precompiles.words(input.length);
    }

    @Override
    public byte[] run(byte[] input) {
        RIPEMD160Digest d = new RIPEMD160Digest();
        d.update(input, 0, input.length);
        byte[] out = new byte[32];
        d.doFinal(out, 12);
        return out;
    }
}
