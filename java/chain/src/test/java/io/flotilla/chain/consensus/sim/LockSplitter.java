package io.flotilla.chain.consensus.sim;

import io.flotilla.chain.consensus.ConsensusMessage.Prevote;
import io.flotilla.chain.consensus.SignedMessage;
import java.util.List;

/**
 * A Byzantine member that withholds its prevotes strategically: it sends each prevote only to a part of the others,
 * a different part every round, so that its vote completes a quorum (and a lock) at some members and not at
 * others, round after round. It never signs two conflicting messages, so it leaves no evidence.
 */
public final class LockSplitter implements Behaviour {
    private final List<List<Integer>> sides;

    /** {@code sides}: in round r, prevotes go to {@code sides.get(r % sides.size())} only. */
    public LockSplitter(List<List<Integer>> sides) {
        this.sides = List.copyOf(sides);
    }

    @Override
    public void broadcast(Replica self, SignedMessage message, Cluster cluster) {
        if (!(message.message() instanceof Prevote p)) {
            cluster.sendToAll(self.index(), message);
            return;
        }
        for (int to : sides.get((int) ((p.height() + p.round()) % sides.size()))) {
            if (to != self.index()) cluster.sendTo(self.index(), to, message);
        }
    }

    /** A vote meant for one member (the HotStuff leader) reaches it only in the rounds it is on the chosen side. */
    @Override
    public void send(Replica self, io.flotilla.evm.types.Address to, SignedMessage message, Cluster cluster) {
        int index = cluster.indexOf(to);
        if (message.message() instanceof Prevote p && !sides.get((int) ((p.height() + p.round()) % sides.size())).contains(index)) return;
        if (index != self.index()) cluster.sendTo(self.index(), index, message);
    }
}
