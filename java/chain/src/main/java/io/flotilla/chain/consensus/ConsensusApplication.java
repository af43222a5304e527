package io.flotilla.chain.consensus;

import java.util.Optional;

/** What consensus needs from the chain: blocks to propose and a validity check for others' blocks. */
public interface ConsensusApplication {
    /**
     * A new block for {@code height}, or empty when there is nothing to propose yet (idle chain);
     * the engine then waits for a {@link ConsensusEvent.BlockAvailable} for that height.
     */
    Optional<ProposedBlock> proposeBlock(long height);

    /**
     * Whether there is anything to decide at {@code height} now (transactions wait, or an idle chain's heartbeat
     * is due). While there is not, round 0 starts no propose timeout, so an idle chain does not change rounds; a
     * {@link ConsensusEvent.BlockAvailable} starts it. Applications that always have work keep the default.
     */
    default boolean hasWork(long height) {
        return true;
    }

    /** Whether {@code block} may be decided at {@code height} (parent, timestamps, transactions, state root). */
    boolean isValid(long height, ProposedBlock block);

    /** A judgement of a block: {@link #NOT_YET} is not remembered, so the block is judged again later. */
    enum Verdict { VALID, INVALID, NOT_YET }

    /**
     * Judges {@code block} at {@code height} knowing who may have built it: {@code proposers} are the proposers of the
     * rounds so far (a block proposed in a round names that round's proposer; a re-proposal carries an earlier one).
     * Reasons that can change with time (a timestamp ahead of our clock) answer {@link Verdict#NOT_YET}.
     */
    default Verdict judge(long height, ProposedBlock block, java.util.Set<io.flotilla.evm.types.Address> proposers) {
        return isValid(height, block) ? Verdict.VALID : Verdict.INVALID;
    }

    /** The hash a payload must carry; a real chain overrides this with its header hash. */
    default BlockHash hashOf(byte[] payload) {
        return BlockHash.keccakOf(payload);
    }
}
