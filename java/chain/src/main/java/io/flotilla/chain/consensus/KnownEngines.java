package io.flotilla.chain.consensus;

import io.flotilla.chain.consensus.bft.BftConfig;
import io.flotilla.chain.consensus.bft.BftEngineFactory;
import io.flotilla.chain.consensus.hotstuff.HotStuffEngineFactory;
import java.util.List;

/**
 * The engines this node ships, by the name a chain's config (and the contracts' {@code options.consensus}) uses. The
 * subnode checks the name here at start, so a chain created with an engine this build lacks stops with one line.
 */
public final class KnownEngines {
    /** The names, in the order the docs list them; "bft" is the default. */
    public static final List<String> NAMES = List.of(BftEngineFactory.NAME, HotStuffEngineFactory.NAME);

    private KnownEngines() {
    }

    /** Every known engine, each built with the same tuning. */
    public static ConsensusEngines with(BftConfig config) {
        return new ConsensusEngines(List.of(new BftEngineFactory(config), new HotStuffEngineFactory(config)));
    }

    public static boolean isKnown(String name) {
        return NAMES.contains(name);
    }
}
