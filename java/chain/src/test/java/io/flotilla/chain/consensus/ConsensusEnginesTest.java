package io.flotilla.chain.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.consensus.bft.BftConfig;
import io.flotilla.chain.consensus.bft.BftEngineFactory;
import io.flotilla.chain.consensus.bft.TendermintEngine;
import io.flotilla.chain.consensus.sim.Cluster;
import io.flotilla.chain.consensus.sim.SimApplication;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsensusEnginesTest {
    private final ConsensusEngines engines = new ConsensusEngines(List.of(new BftEngineFactory(BftConfig.defaults())));
    private final EngineContext context = new EngineContext(1, Cluster.key(0), new SimApplication("n0"));

    @Test
    void theConfigNameBftSelectsTheTendermintEngine() {
        ConsensusEngine engine = engines.create("bft", context);
        assertInstanceOf(TendermintEngine.class, engine);
        assertEquals("bft", engine.name());
    }

    @Test
    void anUnknownEngineNameIsAConfigurationError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engines.create("raft", context));
        assertTrue(e.getMessage().contains("bft"), "the message lists the known engines");
    }
}
