package io.flotilla.chain.consensus.sim;

import io.flotilla.chain.consensus.SignedMessage;

/** How a replica sends what its engine broadcasts: honestly, or not. */
public interface Behaviour {
    void broadcast(Replica self, SignedMessage message, Cluster cluster);

    /** How it sends what its engine sends to one member (a vote to the leader): honestly by default. */
    default void send(Replica self, io.flotilla.evm.types.Address to, SignedMessage message, Cluster cluster) {
        int index = cluster.indexOf(to);
        if (index != self.index()) cluster.sendTo(self.index(), index, message);
    }

    /** Sees every message the replica receives (a Byzantine node learns from traffic). */
    default void observe(SignedMessage inbound) {
    }

    Behaviour HONEST = (self, message, cluster) -> cluster.sendToAll(self.index(), message);
}
