package io.flotilla.chain.consensus.sim;

import io.flotilla.chain.consensus.BlockHash;
import io.flotilla.chain.consensus.ConsensusMessage;
import io.flotilla.chain.consensus.ConsensusMessage.Precommit;
import io.flotilla.chain.consensus.ConsensusMessage.Prevote;
import io.flotilla.chain.consensus.ConsensusMessage.Proposal;
import io.flotilla.chain.consensus.ConsensusMessage.Vote;
import io.flotilla.chain.consensus.ProposedBlock;
import io.flotilla.chain.consensus.SignedMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A Byzantine member that splits the others into two sides and tells each a different story:
 * as proposer it sends side A its block and side B a different, equally valid one; as voter it
 * sends side B a vote for another value than side A gets (double voting).
 */
public final class Equivocator implements Behaviour {
    private record Slot(long height, int round) {
    }

    private final Set<Integer> sideA;
    private final Map<Slot, List<BlockHash>> knownProposals = new HashMap<>();

    public Equivocator(Set<Integer> sideA) {
        this.sideA = Set.copyOf(sideA);
    }

    @Override
    public void observe(SignedMessage inbound) {
        if (inbound.message() instanceof Proposal p) remember(p);
    }

    @Override
    public void broadcast(Replica self, SignedMessage message, Cluster cluster) {
        ConsensusMessage m = message.message();
        Optional<ConsensusMessage> twin = switch (m) {
            case Proposal p -> Optional.of(evilTwin(p));
            case Vote v -> alternative(v);
            case ConsensusMessage.Certificate c -> Optional.empty(); // others' votes: nothing to forge
            case ConsensusMessage.NewRound n -> Optional.empty();
        };
        if (m instanceof Proposal p) remember(p);
        if (twin.isEmpty()) {
            cluster.sendToAll(self.index(), message);
            return;
        }
        twin.filter(t -> t instanceof Proposal).ifPresent(t -> remember((Proposal) t));
        SignedMessage other = SignedMessage.sign(message.chainId(), twin.get(), self.key());
        for (int to = 0; to < cluster.size(); to++) {
            if (to != self.index()) cluster.sendTo(self.index(), to, sideA.contains(to) ? message : other);
        }
    }

    private Proposal evilTwin(Proposal p) {
        ProposedBlock evil = SimApplication.block(p.height(), "evil;r=" + p.round());
        return new Proposal(p.height(), p.round(), evil, p.validRound());
    }

    /** Another proposed value if one is known, else nil for a real vote, else nothing to split. */
    private Optional<ConsensusMessage> alternative(Vote v) {
        Optional<BlockHash> other = knownProposals.getOrDefault(new Slot(v.height(), v.round()), List.of()).stream()
                .filter(h -> v.value().map(x -> !x.equals(h)).orElse(true)).findFirst();
        Optional<BlockHash> alt = other.isPresent() ? other : v.value().isPresent() ? Optional.empty() : null;
        if (alt == null) return Optional.empty();
        return Optional.of(v instanceof Prevote
                ? new Prevote(v.height(), v.round(), alt)
                : new Precommit(v.height(), v.round(), alt));
    }

    private void remember(Proposal p) {
        List<BlockHash> l = knownProposals.computeIfAbsent(new Slot(p.height(), p.round()), k -> new ArrayList<>());
        if (!l.contains(p.block().hash())) l.add(p.block().hash());
    }

    /**
     * A vote for one member (the HotStuff leader): it gets both the vote and a conflicting one, so the leader may count
     * either; the pair is evidence.
     */
    @Override
    public void send(Replica self, io.flotilla.evm.types.Address to, SignedMessage message, Cluster cluster) {
        int index = cluster.indexOf(to);
        if (index == self.index()) return;
        Optional<ConsensusMessage> twin = message.message() instanceof Vote v ? alternative(v) : Optional.empty();
        boolean twinFirst = !sideA.contains(index);
        twin.filter(t -> twinFirst).ifPresent(t -> cluster.sendTo(self.index(), index, SignedMessage.sign(message.chainId(), t, self.key())));
        cluster.sendTo(self.index(), index, message);
        twin.filter(t -> !twinFirst).ifPresent(t -> cluster.sendTo(self.index(), index, SignedMessage.sign(message.chainId(), t, self.key())));
    }
}
