package io.flotilla.chain.storage;

import io.flotilla.evm.state.Account;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.Map;
import java.util.Set;

/**
 * The state changes of one block. {@code accounts} maps changed accounts to their new value, or to null when
 * deleted; {@code storageCleared} lists accounts whose whole previous storage is dropped before
 * {@code storageWrites} (zero value = slot removed) are applied.
 */
public record StateDiff(Map<Address, Account> accounts, Set<Address> storageCleared, Map<Address, Map<Word, Word>> storageWrites) {
}
