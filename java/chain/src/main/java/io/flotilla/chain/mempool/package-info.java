/** Pending transactions per sender in nonce order, with replacement and size rules ({@link io.flotilla.chain.mempool.Mempool}). */
package io.flotilla.chain.mempool;
