package io.flotilla.chain.consensus;

/** A snapshot of where an engine is, for logs, metrics and RPC. */
public record ConsensusStatus(long height, int round, Step step, boolean decided, boolean member) {
}
