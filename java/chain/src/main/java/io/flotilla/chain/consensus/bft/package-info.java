/**
 * The "bft" engine: Tendermint (Buchman, Kwon, Milosevic, "The latest gossip on BFT consensus",
 * 2018, Algorithm 1) with equal voting power, as a pure state machine. See
 * {@link io.flotilla.chain.consensus.bft.TendermintEngine}.
 */
package io.flotilla.chain.consensus.bft;
