/**
 * Block, receipt, index and world-state persistence in RocksDB ({@link io.flotilla.chain.storage.ChainStore});
 * one synced WriteBatch per block. Also the block data model ({@link io.flotilla.chain.storage.BlockHeader},
 * {@link io.flotilla.chain.storage.Block}, {@link io.flotilla.chain.storage.TxReceipt}).
 */
package io.flotilla.chain.storage;
