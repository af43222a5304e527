package io.flotilla.chain.consensus;

/** Identifies a timeout; a firing that no longer matches the engine's state is ignored. */
public record Timeout(long height, int round, Step step) {
}
