package io.flotilla.evm.state;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.Map;
import java.util.Set;

/** The persistent account/storage store the EVM reads and writes; journaling sits above it. */
public interface WorldState {
    /** The account, or null when it does not exist. */
    Account account(Address address);

    void putAccount(Address address, Account account);

    /** Removes the account and all of its storage. */
    void deleteAccount(Address address);

    Word storage(Address address, Word key);

    /** Writes a slot; a zero value removes it. */
    void putStorage(Address address, Word key, Word value);

    /** A copy of all non-zero slots of an account. */
    Map<Word, Word> storageOf(Address address);

    void replaceStorage(Address address, Map<Word, Word> slots);

    boolean hasStorage(Address address);

    Set<Address> addresses();
}
