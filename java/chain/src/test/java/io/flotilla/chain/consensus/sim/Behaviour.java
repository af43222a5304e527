package io.flotilla.chain.consensus.sim;

import io.flotilla.chain.consensus.SignedMessage;

/** How a replica sends what its engine broadcasts: honestly, or not. */
public interface Behaviour {
    void broadcast(Replica self, SignedMessage message, Cluster cluster);

    /** Sees every message the replica receives (a Byzantine node learns from traffic). */
    default void observe(SignedMessage inbound) {
    }

    Behaviour HONEST = (self, message, cluster) -> cluster.sendToAll(self.index(), message);
}
