package io.flotilla.evm.vm;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;

/**
 * One call or create frame's inputs. {@code target} is the account whose storage and balance the
 * code acts on; {@code codeAddress} is where the code came from (differs for CALLCODE/DELEGATECALL).
 * {@code codeHash} is null for init code, which is never cached.
 */
public record Message(
        Address caller,
        Address target,
        Address codeAddress,
        Word value,
        byte[] data,
        byte[] code,
        byte[] codeHash,
        long gas,
        int depth,
        boolean isStatic,
        boolean isCreate,
        boolean transfersValue) {
}
