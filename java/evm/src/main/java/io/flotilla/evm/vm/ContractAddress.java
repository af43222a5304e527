package io.flotilla.evm.vm;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.rlp.Rlp;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.Arrays;

/** Addresses of new contracts (CREATE and CREATE2). */
public final class ContractAddress {
    private ContractAddress() {
    }

    /** keccak(rlp([sender, nonce]))[12:]. */
    public static Address create(Address sender, long nonce) {
        byte[] enc = Rlp.encode(Rlp.list(Rlp.bytes(sender.toArray()), Rlp.uint(nonce)));
        return Address.of(Arrays.copyOfRange(Keccak.hash(enc), 12, 32));
    }

    /** keccak(0xff ++ sender ++ salt ++ keccak(initcode))[12:] (EIP-1014). */
    public static Address create2(Address sender, Word salt, byte[] initCode) {
        byte[] buf = new byte[85];
        buf[0] = (byte) 0xFF;
        System.arraycopy(sender.toArray(), 0, buf, 1, 20);
        System.arraycopy(salt.toBytes(), 0, buf, 21, 32);
        System.arraycopy(Keccak.hash(initCode), 0, buf, 53, 32);
        return Address.of(Arrays.copyOfRange(Keccak.hash(buf), 12, 32));
    }
}
