package io.flotilla.chain.consensus.bft;

import io.flotilla.chain.consensus.BlockHash;
import io.flotilla.chain.consensus.MemberSet;
import io.flotilla.chain.consensus.ProposedBlock;
import io.flotilla.chain.consensus.SignedMessage;
import io.flotilla.chain.consensus.Step;
import io.flotilla.evm.types.Address;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The paper's per-height variables and message log. A new instance per height, so nothing
 * from one height can leak into the next.
 */
final class HeightState {
    record EvidenceSlot(Address member, int round, Class<?> kind) {
    }

    final long height;
    final MemberSet members;
    int round;
    Step step = Step.PROPOSE;
    boolean decided;
    /** We are this round's proposer but the application had no block yet. */
    boolean awaitingBlock;
    /** Round 0 of an idle height: no propose timeout runs until the application has work. */
    boolean idleWait;
    ProposedBlock lockedValue;
    int lockedRound = -1;
    ProposedBlock validValue;
    int validRound = -1;

    final TreeMap<Integer, RoundLog> rounds = new TreeMap<>();
    /** Exactly the messages stored in {@link #rounds} (for the duplicate check): nothing unstored is remembered. */
    final Set<SignedMessage> seen = new HashSet<>();
    /** Stored messages and their accounted size (see {@link TendermintEngine#retainedBytes()}). */
    int storedCount;
    long storedBytes;
    /** Per member, the highest round beyond our window it signed a message in: all that is kept of such messages. */
    final Map<Address, Integer> roundHints = new HashMap<>();
    final Map<BlockHash, Boolean> validity = new HashMap<>();
    final Set<EvidenceSlot> evidenceReported = new HashSet<>();

    HeightState(long height, MemberSet members) {
        this.height = height;
        this.members = members;
    }

    RoundLog log(int r) {
        return rounds.computeIfAbsent(r, k -> new RoundLog());
    }

    Optional<RoundLog> existingLog(int r) {
        return Optional.ofNullable(rounds.get(r));
    }

    /** Every stored message of this height, oldest round first. */
    List<SignedMessage> allMessages() {
        return rounds.values().stream().flatMap(r -> r.messages().stream()).toList();
    }

    boolean isLockedOn(ProposedBlock v) {
        return lockedValue != null && lockedValue.hash().equals(v.hash());
    }
}
