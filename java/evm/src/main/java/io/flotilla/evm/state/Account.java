package io.flotilla.evm.state;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.types.Word;

/**
 * An account's header and code; storage lives beside it in the {@link WorldState}.
 * {@code nonce} is an unsigned 64-bit value.
 */
public record Account(long nonce, Word balance, byte[] code, byte[] codeHash) {
    private static final byte[] NO_CODE = new byte[0];
    public static final Account EMPTY = new Account(0, Word.ZERO, NO_CODE, Keccak.EMPTY);

    public static Account of(long nonce, Word balance, byte[] code) {
        return new Account(nonce, balance, code, code.length == 0 ? Keccak.EMPTY : Keccak.hash(code));
    }

    /** EIP-161 emptiness: no nonce, no balance, no code. */
    public boolean isEmpty() {
        return nonce == 0 && balance.isZero() && code.length == 0;
    }

    public Account withBalance(Word b) {
        return new Account(nonce, b, code, codeHash);
    }

    public Account withNonce(long n) {
        return new Account(n, balance, code, codeHash);
    }

    public Account withCode(byte[] c) {
        return of(nonce, balance, c);
    }
}
