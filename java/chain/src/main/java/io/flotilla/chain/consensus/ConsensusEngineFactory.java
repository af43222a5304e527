package io.flotilla.chain.consensus;

/** Builds one kind of engine; the chain's config names the kind. */
public interface ConsensusEngineFactory {
    String name();

    ConsensusEngine create(EngineContext context);
}
