package io.flotilla.evm.state;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;

/** An (account, key) pair, the unit of warm/cold and original-value tracking. */
public record StorageSlot(Address address, Word key) {
}
