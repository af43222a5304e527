package io.flotilla.chain.execution;

import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.WorldState;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.Map;

/** A view of committed state: reads only. Blocks change state through the store's commit, never through a view. */
interface CommittedState extends WorldState {
    @Override
    default void putAccount(Address address, Account account) {
        throw readOnly();
    }

    @Override
    default void deleteAccount(Address address) {
        throw readOnly();
    }

    @Override
    default void putStorage(Address address, Word key, Word value) {
        throw readOnly();
    }

    @Override
    default void replaceStorage(Address address, Map<Word, Word> slots) {
        throw readOnly();
    }

    private static UnsupportedOperationException readOnly() {
        return new UnsupportedOperationException("committed state is read-only");
    }
}
