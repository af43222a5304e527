package io.flotilla.agent.liveness;

import java.time.Instant;
import java.util.Optional;

/** Asks a subnode's JSON-RPC for its consensus health; empty when it does not answer. {@link SubnodeRpc} is the real one. */
@FunctionalInterface
public interface HealthProbe {

    Optional<SubnodeRpc.Health> health(String ip, int rpcPort, Instant now);
}
