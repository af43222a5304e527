package io.flotilla.chain.consensus.hotstuff;

import io.flotilla.chain.consensus.ConsensusEngine;
import io.flotilla.chain.consensus.ConsensusEngineFactory;
import io.flotilla.chain.consensus.EngineContext;
import io.flotilla.chain.consensus.bft.BftConfig;
import java.util.Objects;

/**
 * Registers the HotStuff-2 style engine under the config name "hotstuff". It takes the same tuning as Tendermint
 * (timeouts, acceptance windows, block size limit), so a chain switches engine by name alone.
 */
public final class HotStuffEngineFactory implements ConsensusEngineFactory {
    public static final String NAME = "hotstuff";
    private final BftConfig config;

    public HotStuffEngineFactory(BftConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ConsensusEngine create(EngineContext context) {
        return new HotStuffEngine(context.chainId(), context.signer(), context.application(), config);
    }
}
