package io.flotilla.chain.consensus;

/** Why a received message was not used; counted so operators can spot misbehaving peers. */
public enum DropReason {
    WRONG_CHAIN,
    BAD_SIGNATURE,
    NOT_MEMBER,
    /** A proposal from someone who is not the proposer of its round. */
    NOT_PROPOSER,
    /** Fields out of range, or a block whose hash does not match its payload. */
    MALFORMED,
    /** Height or round beyond the acceptance window. */
    TOO_FAR_AHEAD,
    /** For a height already decided or passed. */
    STALE,
    /** Already received. */
    DUPLICATE,
    /** Future-height buffer, or the signer's share of it, is full. */
    BUFFER_FULL,
    /** A proposal whose block exceeds the chain's block size limit. */
    TOO_LARGE,
    /** Received before the first {@link ConsensusEvent.StartHeight}. */
    NOT_STARTED
}
