/**
 * Turning transactions into blocks. {@link io.flotilla.chain.execution.ChainState} is the committed chain and the
 * seam for whoever decides blocks: {@code commit(ExecutedBlock)} for a block built here
 * ({@link io.flotilla.chain.execution.BlockBuilder}), {@code apply(Block)} for a block decided elsewhere (re-executed
 * and checked by {@link io.flotilla.chain.execution.BlockExecutor}). {@link io.flotilla.chain.execution.DevChain}
 * is the single-producer stand-in for the BFT engine.
 */
package io.flotilla.chain.execution;
