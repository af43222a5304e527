package io.flotilla.agent.runtime;

import java.util.Map;

/** A volume as the engine reports it. */
public record ObservedVolume(String name, Map<String, String> labels) {

    public ObservedVolume {
        labels = Map.copyOf(labels);
    }
}
