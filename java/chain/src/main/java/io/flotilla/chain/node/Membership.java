package io.flotilla.chain.node;

import io.flotilla.chain.consensus.MemberSet;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.storage.BlockHeader;

/**
 * Which members decide which height. The chain itself records it: every block header's extraData declares the set
 * that decides the next height, so any node (one that catches up included) reads the set of height h from block
 * h-1, and block 1 declares its own. A member set change is the agent rewriting the config: a proposer whose
 * configured set differs from the chain's declares the configured one, other members accept a block only when it
 * declares either the current set or their own configured set, so the switch happens at the height after the
 * first block that 2f+1 members of the old set accepted with the new set, and every member switches there.
 */
final class Membership {

    private final ChainState chain;
    /** The set our agent configured last: replaced live when the config file changes ({@link #configure}). */
    private volatile MemberSet configured;
    private volatile java.util.function.BiPredicate<MemberSet, MemberSet> switchReady = (current, next) -> true;

    Membership(ChainState chain, MemberSet configured) {
        this.chain = chain;
        this.configured = configured;
    }

    MemberSet configured() {
        return configured;
    }

    /**
     * Our agent configured a new set (the config file changed): from now on a proposer declares it and we accept
     * blocks declaring it; the chain switches at the height after the first block 2f+1 of the current set accepted.
     */
    void configure(MemberSet next) {
        configured = next;
    }

    /** The set deciding {@code height}, for 1 <= height <= head + 1. */
    MemberSet forHeight(long height) {
        if (height <= 1) {
            return chain.head().number() >= 1 ? declaredBy(chain.header(1).orElseThrow()) : configured;
        }
        return declaredBy(chain.header(height - 1).orElseThrow(() -> new IllegalArgumentException("no block " + (height - 1))));
    }

    /**
     * What a proposer at {@code height} declares for the next height: the configured set once {@code switchReady}
     * says the switch can pass (the members of the current set that must accept it have the same configured set,
     * and the joining members caught up), the current set until then.
     */
    MemberSet nextDeclaredAt(long height) {
        MemberSet current = forHeight(height);
        MemberSet wanted = configured;
        return height >= 2 && !current.equals(wanted) && switchReady.test(current, wanted) ? wanted : current;
    }

    /** Decides whether a proposer may declare the configured set now (default: at once). */
    void gateSwitch(java.util.function.BiPredicate<MemberSet, MemberSet> ready) {
        this.switchReady = ready;
    }

    /** A short fingerprint of a member set (what a member tells its peers it is configured with). */
    static long fingerprint(MemberSet set) {
        byte[] h = io.flotilla.evm.crypto.Keccak.hash(set.encode());
        return java.nio.ByteBuffer.wrap(h).getLong() & Long.MAX_VALUE;
    }

    /** Whether a block at {@code height} may declare {@code extraData} as the next set. */
    boolean acceptable(long height, byte[] extraData) {
        MemberSet declared;
        try {
            declared = MemberSet.decode(extraData);
        } catch (IllegalArgumentException e) {
            return false;
        }
        MemberSet current = forHeight(height);
        return declared.equals(current) || (height >= 2 && declared.equals(configured));
    }

    /** The set a header declares for the height after it (the configured set for headers that declare none). */
    MemberSet declaredBy(BlockHeader header) {
        return header.extraData().length == 0 ? configured : MemberSet.decode(header.extraData());
    }
}
