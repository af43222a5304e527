package io.flotilla.evm.vm;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.List;

/** Transaction-level inputs visible to the EVM (ORIGIN, GASPRICE, BLOBHASH). */
public record TxContext(Address origin, Word gasPrice, List<Word> blobHashes) {
}
