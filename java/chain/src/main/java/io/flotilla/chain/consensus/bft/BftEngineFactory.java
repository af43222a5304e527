package io.flotilla.chain.consensus.bft;

import io.flotilla.chain.consensus.ConsensusEngine;
import io.flotilla.chain.consensus.ConsensusEngineFactory;
import io.flotilla.chain.consensus.EngineContext;
import java.util.Objects;

/** Registers the Tendermint engine under the config name "bft". */
public final class BftEngineFactory implements ConsensusEngineFactory {
    public static final String NAME = "bft";
    private final BftConfig config;

    public BftEngineFactory(BftConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ConsensusEngine create(EngineContext context) {
        return new TendermintEngine(context.chainId(), context.signer(), context.application(), config);
    }
}
