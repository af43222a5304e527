package io.flotilla.chain.consensus.bft;

import io.flotilla.chain.consensus.BlockHash;
import io.flotilla.chain.consensus.ConsensusMessage.Proposal;
import io.flotilla.chain.consensus.SignedMessage;
import io.flotilla.evm.types.Address;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Everything received for one round of the current height, plus the once-only rule flags. */
final class RoundLog {
    /**
     * A faulty proposer can sign any number of blocks. The first one is kept; a different one only once f+1 members
     * voted for it in this round (so an honest member vouches that it matters), and never more than two.
     */
    static final int MAX_PROPOSALS = 2;

    private final Map<BlockHash, SignedMessage> proposals = new LinkedHashMap<>();
    final VoteSet prevotes = new VoteSet();
    final VoteSet precommits = new VoteSet();
    private final Set<Address> senders = new HashSet<>();
    boolean prevoteTimeoutArmed;
    boolean precommitTimeoutArmed;
    boolean lockRuleFired;

    /**
     * Adds a proposal (already checked to come from the round's proposer): whether it was stored, and an earlier
     * conflicting one. {@code witness} is f+1.
     */
    VoteSet.Added addProposal(Address proposer, SignedMessage signed, int witness) {
        senders.add(proposer);
        BlockHash hash = proposal(signed).block().hash();
        if (proposals.containsKey(hash)) return new VoteSet.Added(false, Optional.empty());
        Optional<SignedMessage> earlier = proposals.values().stream().findFirst();
        boolean store = proposals.isEmpty() || (proposals.size() < MAX_PROPOSALS && backers(hash) >= witness);
        if (store) proposals.put(hash, signed);
        return new VoteSet.Added(store, earlier);
    }

    private int backers(BlockHash hash) {
        return Math.max(prevotes.count(Optional.of(hash)), precommits.count(Optional.of(hash)));
    }

    void noteSender(Address member) {
        senders.add(member);
    }

    int senderCount() {
        return senders.size();
    }

    /** Proposals in arrival order. */
    List<Proposal> proposals() {
        return proposals.values().stream().map(RoundLog::proposal).toList();
    }

    Optional<SignedMessage> signedProposalFor(BlockHash hash) {
        return Optional.ofNullable(proposals.get(hash));
    }

    Optional<Proposal> proposalFor(BlockHash hash) {
        return signedProposalFor(hash).map(RoundLog::proposal);
    }

    /** Everything stored for this round, for relaying to peers. */
    List<SignedMessage> messages() {
        List<SignedMessage> out = new ArrayList<>(proposals.values());
        out.addAll(prevotes.all());
        out.addAll(precommits.all());
        return out;
    }

    private static Proposal proposal(SignedMessage m) {
        return (Proposal) m.message();
    }
}
