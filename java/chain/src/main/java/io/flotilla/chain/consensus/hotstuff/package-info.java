/**
 * The "hotstuff" consensus engine: HotStuff-2 style two-phase BFT with linear messages (votes go to the round's leader,
 * which hands out the quorum as one certificate). Same certificates, safety record, member-set switch and catch-up as
 * the "bft" engine; see docs/chain.md.
 */
package io.flotilla.chain.consensus.hotstuff;
