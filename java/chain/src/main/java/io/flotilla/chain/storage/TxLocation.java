package io.flotilla.chain.storage;

/** Where a committed transaction sits: block number and position in the block. */
public record TxLocation(long blockNumber, int index) {
}
