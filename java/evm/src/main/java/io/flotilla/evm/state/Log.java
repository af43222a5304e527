package io.flotilla.evm.state;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.List;

/** A LOGn record. */
public record Log(Address address, List<Word> topics, byte[] data) {
}
