package io.flotilla.chain.consensus;

import io.flotilla.evm.types.Address;

/** Holds a member's node key; an interface so a keystore or HSM can stand behind it. */
public interface MessageSigner {
    Address address();

    /** Signs a 32-byte digest; must return a low-s recoverable signature. */
    Signature sign(byte[] digest);
}
