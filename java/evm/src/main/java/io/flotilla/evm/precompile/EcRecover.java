package io.flotilla.evm.precompile;

import io.flotilla.evm.crypto.Secp256k1;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Optional;

/** 0x01: signer address of (hash, v, r, s); empty output (not failure) for a bad signature. */
final class EcRecover implements Precompile {
    @Override
    public long gas(byte[] input) {
        return 3000;
    }

    @Override
    public byte[] run(byte[] input) {
        byte[] in = Precompiles.padded(input, 128);
        BigInteger v = new BigInteger(1, Arrays.copyOfRange(in, 32, 64));
        BigInteger r = new BigInteger(1, Arrays.copyOfRange(in, 64, 96));
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(in, 96, 128));
        if (!v.equals(BigInteger.valueOf(27)) && !v.equals(BigInteger.valueOf(28))) return new byte[0];
        Optional<Address> a = Secp256k1.recoverInEvm(Arrays.copyOf(in, 32), v.intValue() - 27, r, s);
        if (a.isEmpty()) return new byte[0];
        byte[] out = new byte[32];
        System.arraycopy(a.get().toArray(), 0, out, 12, 20);
        return out;
    }
}
