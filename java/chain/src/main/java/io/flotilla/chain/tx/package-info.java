/**
 * Signed raw transactions: {@link io.flotilla.chain.tx.TxDecoder} turns wire bytes (legacy/EIP-155, EIP-2930,
 * EIP-1559) into a {@link io.flotilla.chain.tx.SignedTransaction} with the client-visible hash and the recovered
 * sender, or an {@link io.flotilla.chain.tx.InvalidTransactionException} naming the reason.
 */
package io.flotilla.chain.tx;
