package io.flotilla.chain.consensus;

/** The step of a round; ordered, so "step >= PREVOTE" reads as in the paper. */
public enum Step {
    PROPOSE, PREVOTE, PRECOMMIT
}
