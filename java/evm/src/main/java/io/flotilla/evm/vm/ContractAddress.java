package io.flotilla.evm.vm;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;

/** Addresses of new contracts (CREATE and CREATE2). */
public final class ContractAddress {
    private ContractAddress() {
    }

    public static Address create(Address sender, long nonce) {
        return Interpreter.createAddress(sender, nonce);
    }

    public static Address create2(Address sender, Word salt, byte[] initCode) {
        return Interpreter.create2Address(sender, salt, initCode);
    }
}
