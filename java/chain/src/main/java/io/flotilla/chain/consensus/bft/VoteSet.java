package io.flotilla.chain.consensus.bft;

import io.flotilla.chain.consensus.BlockHash;
import io.flotilla.chain.consensus.ConsensusMessage.Vote;
import io.flotilla.chain.consensus.SignedMessage;
import io.flotilla.evm.types.Address;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The votes of one type in one round. As in the paper, counts are over the set of received
 * messages: a member that votes for two values counts once towards each (safe: two quorums for
 * different values would still need an honest member in both). Its second vote is evidence.
 */
final class VoteSet {
    /** A faulty member could sign endless values; beyond a few they cannot help anyone decide. */
    private static final int MAX_VALUES_PER_MEMBER = 3;

    private final Map<Address, List<SignedMessage>> byMember = new LinkedHashMap<>();
    private final Map<Optional<BlockHash>, Map<Address, SignedMessage>> byValue = new HashMap<>();

    /** Whether the vote was stored, and the member's earlier vote for another value if this one conflicts with it. */
    record Added(boolean stored, Optional<SignedMessage> conflicting) {
    }

    /** Adds a member's vote: at most {@value #MAX_VALUES_PER_MEMBER} per member are kept. */
    Added add(Address member, SignedMessage signed) {
        Optional<BlockHash> value = value(signed);
        List<SignedMessage> mine = byMember.computeIfAbsent(member, k -> new ArrayList<>());
        if (mine.stream().anyMatch(m -> value(m).equals(value))) return new Added(false, Optional.empty());
        Optional<SignedMessage> earlier = mine.stream().findFirst();
        boolean stored = mine.size() < MAX_VALUES_PER_MEMBER;
        if (stored) {
            mine.add(signed);
            byValue.computeIfAbsent(value, k -> new LinkedHashMap<>()).put(member, signed);
        }
        return new Added(stored, earlier);
    }

    /** Distinct members that voted, whatever for. */
    int total() {
        return byMember.size();
    }

    int count(Optional<BlockHash> value) {
        Map<Address, SignedMessage> m = byValue.get(value);
        return m == null ? 0 : m.size();
    }

    List<SignedMessage> votesFor(Optional<BlockHash> value) {
        return List.copyOf(byValue.getOrDefault(value, Map.of()).values());
    }

    /** Non-nil values with at least {@code quorum} votes, in a deterministic order. */
    List<BlockHash> valuesWithQuorum(int quorum) {
        List<BlockHash> out = new ArrayList<>();
        byValue.forEach((v, m) -> {
            if (v.isPresent() && m.size() >= quorum) out.add(v.get());
        });
        out.sort(null);
        return out;
    }

    /** Every stored vote, in arrival order per member. */
    List<SignedMessage> all() {
        return byMember.values().stream().flatMap(List::stream).toList();
    }

    private static Optional<BlockHash> value(SignedMessage m) {
        return ((Vote) m.message()).value();
    }
}
