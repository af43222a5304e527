package io.flotilla.chain.consensus;

import io.flotilla.evm.types.Address;
import java.util.HashSet;
import java.util.List;

/**
 * The validators deciding one height, in proposer-rotation order. Equal voting power:
 * f = (n-1)/3 faults tolerated, quorum = 2f+1.
 */
public record MemberSet(List<Address> members) {
    public MemberSet {
        members = List.copyOf(members);
        if (members.isEmpty()) throw new IllegalArgumentException("member set is empty");
        if (new HashSet<>(members).size() != members.size()) throw new IllegalArgumentException("duplicate member");
    }

    public static MemberSet of(Address... members) {
        return new MemberSet(List.of(members));
    }

    public int size() {
        return members.size();
    }

    public int maxFaulty() {
        return (size() - 1) / 3;
    }

    public int quorum() {
        return 2 * maxFaulty() + 1;
    }

    /** f+1: enough messages that at least one comes from an honest member. */
    public int honestWitness() {
        return maxFaulty() + 1;
    }

    public boolean contains(Address a) {
        return members.contains(a);
    }

    /** Round-robin offset by height, so round 0 of consecutive heights rotates proposers. */
    public Address proposer(long height, int round) {
        return members.get((int) Math.floorMod(height + round, (long) size()));
    }
}
