package io.flotilla.chain.consensus;

import java.util.List;
import java.util.Map;

/**
 * A consensus protocol as a pure, single-threaded state machine: each event in, a list of effects
 * out. No I/O, no clocks, no threads; an adapter owns the network and the timer and calls
 * {@link #handle} from one thread.
 */
public interface ConsensusEngine {
    /** The name the chain's config selects this engine by (e.g. "bft"). */
    String name();

    List<Effect> handle(ConsensusEvent event);

    ConsensusStatus status();

    /**
     * The messages this node holds for the current height (its own and the ones it accepted from
     * others), plus the proposal and precommits that decided the last height. Re-sending them
     * when the height has not advanced for a while gives the relaying gossip the protocol
     * assumes, over a lossy network, after a partition heals, or against a member that told
     * different nodes different things. Has no effect on the engine.
     */
    List<SignedMessage> messagesForGossip();

    /** How many received messages were dropped, by reason. */
    Map<DropReason, Long> dropCounts();
}
