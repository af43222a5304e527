package io.flotilla.chain.consensus.bft;

import io.flotilla.chain.consensus.ConsensusMessage;
import io.flotilla.chain.consensus.ConsensusMessage.Proposal;
import io.flotilla.chain.consensus.DropReason;
import io.flotilla.chain.consensus.SignedMessage;
import java.util.Optional;

/**
 * The checks done before paying for a signature recovery: wrong chain, malformed, stale, too far ahead, too large,
 * repeated. Rounds of the current height beyond the storage window but within the hint horizon pass: the engine
 * recovers the signer to note its round (for the f+1 round skip) and keeps nothing else.
 */
final class MessageScreen {
    private final long chainId;
    private final BftConfig config;

    MessageScreen(long chainId, BftConfig config) {
        this.chainId = chainId;
        this.config = config;
    }

    Optional<DropReason> check(SignedMessage sm, HeightState s, FutureBuffer future) {
        ConsensusMessage m = sm.message();
        if (sm.chainId() != chainId) return Optional.of(DropReason.WRONG_CHAIN);
        if (m.height() < 0 || m.round() < 0) return Optional.of(DropReason.MALFORMED);
        if (m instanceof ConsensusMessage.Certificate || m instanceof ConsensusMessage.NewRound) return Optional.of(DropReason.MALFORMED);
        if (m instanceof Proposal p && (p.validRound() < -1 || p.validRound() >= p.round())) {
            return Optional.of(DropReason.MALFORMED);
        }
        if (m.height() < s.height || (m.height() == s.height && s.decided)) return Optional.of(DropReason.STALE);
        if (m.height() > s.height + config.maxHeightsAhead()) return Optional.of(DropReason.TOO_FAR_AHEAD);
        long roundLimit = m.height() == s.height
                ? (long) s.round + TendermintEngine.ROUND_HINT_HORIZON
                : config.maxRoundsAhead(); // a later height: its first rounds only
        if (m.round() > roundLimit) return Optional.of(DropReason.TOO_FAR_AHEAD);
        if (m instanceof Proposal p && p.block().size() > config.maxProposalBytes()) return Optional.of(DropReason.TOO_LARGE);
        if (s.seen.contains(sm) || future.contains(sm)) return Optional.of(DropReason.DUPLICATE);
        return Optional.empty();
    }
}
