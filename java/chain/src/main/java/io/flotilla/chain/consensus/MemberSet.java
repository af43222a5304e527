package io.flotilla.chain.consensus;

import io.flotilla.evm.types.Address;
import java.util.HashSet;
import java.util.List;

/**
 * The validators deciding one height, in proposer-rotation order. Equal voting power: f = (n-1)/3 faults tolerated,
 * and the quorum is the smallest q with 2q > n + f, so any two quorums share more than f members, hence an honest one.
 * For n = 3f+1 that is the familiar 2f+1; for other sizes 2f+1 is too small (n = 3 would decide with one vote, and for
 * n = 5 or 6 two quorums of 3 need not share an honest member).
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

    /** The canonical order every member derives from the same set of addresses: ascending by address. */
    public static MemberSet sorted(java.util.Collection<Address> members) {
        return new MemberSet(members.stream().sorted(java.util.Comparator.comparing(Address::toString)).toList());
    }

    /** RLP list of the 20-byte addresses, in order: what a block header declares as the next height's set. */
    public byte[] encode() {
        return io.flotilla.evm.rlp.Rlp.encode(new org.web3j.rlp.RlpList(
                members.stream().map(a -> (org.web3j.rlp.RlpType) org.web3j.rlp.RlpString.create(a.toArray())).toList()));
    }

    /** The set encoded by {@link #encode()}; IllegalArgumentException for anything else. */
    public static MemberSet decode(byte[] encoded) {
        try {
            var top = org.web3j.rlp.RlpDecoder.decode(encoded).getValues();
            if (top.size() != 1 || !(top.get(0) instanceof org.web3j.rlp.RlpList list)) throw new IllegalArgumentException("not a list");
            List<Address> out = new java.util.ArrayList<>();
            for (var item : list.getValues()) {
                if (!(item instanceof org.web3j.rlp.RlpString str) || str.getBytes().length != 20) throw new IllegalArgumentException("not an address");
                out.add(Address.of(str.getBytes()));
            }
            return new MemberSet(out);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not an encoded member set: " + e.getMessage(), e);
        }
    }

    public int size() {
        return members.size();
    }

    public int maxFaulty() {
        return (size() - 1) / 3;
    }

    public int quorum() {
        return (size() + maxFaulty()) / 2 + 1;
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
