package io.flotilla.chain.consensus;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The engines a node can run, looked up by the name in its config. */
public final class ConsensusEngines {
    private final Map<String, ConsensusEngineFactory> byName = new LinkedHashMap<>();

    public ConsensusEngines(List<ConsensusEngineFactory> factories) {
        for (ConsensusEngineFactory f : factories) {
            if (byName.putIfAbsent(f.name(), f) != null) throw new IllegalArgumentException("duplicate engine " + f.name());
        }
    }

    public ConsensusEngine create(String name, EngineContext context) {
        ConsensusEngineFactory f = byName.get(name);
        if (f == null) throw new IllegalArgumentException("unknown consensus engine '" + name + "', known: " + names());
        return f.create(context);
    }

    public Set<String> names() {
        return Set.copyOf(byName.keySet());
    }
}
