package io.flotilla.chain.consensus.bft;

import io.flotilla.chain.consensus.ConsensusMessage.Proposal;
import io.flotilla.chain.consensus.SignedMessage;
import io.flotilla.evm.types.Address;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Messages for heights we have not started: peers that decided first are already voting there. Only members of
 * the current set get in (the caller checks, after the signature), each with its own quota of votes and of
 * proposals, so fresh keys get nothing and one faulty member cannot crowd out the others.
 */
final class FutureBuffer {
    record Pending(SignedMessage message, Address signer) {
    }

    private final int capacity;
    private final int votesPerMember;
    private final int proposalsPerMember;
    private final Map<SignedMessage, Address> pending = new LinkedHashMap<>();
    private final Map<Address, int[]> byMember = new HashMap<>(); // [votes, proposals]
    private long bytes;

    FutureBuffer(int capacity, int votesPerMember, int proposalsPerMember) {
        this.capacity = capacity;
        this.votesPerMember = votesPerMember;
        this.proposalsPerMember = proposalsPerMember;
    }

    boolean contains(SignedMessage m) {
        return pending.containsKey(m);
    }

    /** False when full, or the member's quota for this kind of message is used up. */
    boolean add(SignedMessage m, Address member) {
        int kind = m.message() instanceof Proposal ? 1 : 0;
        int[] used = byMember.computeIfAbsent(member, k -> new int[2]);
        if (pending.size() >= capacity || used[kind] >= (kind == 1 ? proposalsPerMember : votesPerMember)) {
            if (used[0] + used[1] == 0) byMember.remove(member);
            return false;
        }
        pending.put(m, member);
        used[kind]++;
        bytes += TendermintEngine.accountedSize(m);
        return true;
    }

    int size() {
        return pending.size();
    }

    long bytes() {
        return bytes;
    }

    /** Removes and returns the messages for {@code height}, in arrival order; discards those below it. */
    List<Pending> takeFor(long height) {
        List<Pending> out = new ArrayList<>();
        for (Iterator<Map.Entry<SignedMessage, Address>> it = pending.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<SignedMessage, Address> e = it.next();
            long h = e.getKey().message().height();
            if (h <= height) {
                it.remove();
                bytes -= TendermintEngine.accountedSize(e.getKey());
                int kind = e.getKey().message() instanceof Proposal ? 1 : 0;
                int[] used = byMember.get(e.getValue());
                if (used != null && --used[kind] == 0 && used[1 - kind] == 0) byMember.remove(e.getValue());
                if (h == height) out.add(new Pending(e.getKey(), e.getValue()));
            }
        }
        return out;
    }
}
