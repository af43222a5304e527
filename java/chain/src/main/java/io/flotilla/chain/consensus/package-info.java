/**
 * Consensus for the sidechain node: the engine contract and the data every engine shares.
 *
 * <p>Integration: build engines with {@link io.flotilla.chain.consensus.ConsensusEngines}
 * ({@link io.flotilla.chain.consensus.KnownEngines#with} holds "bft" and "hotstuff") and pick one by the config's name, giving
 * it an {@link io.flotilla.chain.consensus.EngineContext} (chain id, node key, application).
 * Then, on one thread:
 * <ol>
 *   <li>send {@code StartHeight(h, membersFor(h))} for the first height to decide;</li>
 *   <li>feed every received {@link io.flotilla.chain.consensus.SignedMessage}
 *       ({@link io.flotilla.chain.consensus.MessageCodec#decode} off the wire), every fired
 *       timeout, and {@code BlockAvailable(h)} when the mempool fills;</li>
 *   <li>perform the returned {@link io.flotilla.chain.consensus.Effect}s in order: send
 *       broadcasts to all members and sends to the one member named, arm timers, store evidence, and on {@code Commit} apply and
 *       persist the block with its certificate, then send {@code StartHeight(h+1, ...)};</li>
 *   <li>when the height has not advanced for a while, re-send
 *       {@link io.flotilla.chain.consensus.ConsensusEngine#messagesForGossip()}; when peers are
 *       more than one height ahead, fetch blocks and check them with
 *       {@link io.flotilla.chain.consensus.CommitCertificate#verify}.</li>
 * </ol>
 */
package io.flotilla.chain.consensus;
