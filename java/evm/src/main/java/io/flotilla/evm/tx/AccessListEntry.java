package io.flotilla.evm.tx;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.List;

/** One EIP-2930 access list item. */
public record AccessListEntry(Address address, List<Word> storageKeys) {
}
