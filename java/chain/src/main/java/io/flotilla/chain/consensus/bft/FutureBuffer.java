package io.flotilla.chain.consensus.bft;

import io.flotilla.chain.consensus.SignedMessage;
import io.flotilla.evm.types.Address;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Messages for heights we have not started: peers that decided first are already voting there.
 * Signatures are checked on entry, membership only on replay (the set is not known before).
 */
final class FutureBuffer {
    record Pending(SignedMessage message, Address signer) {
    }

    private final int capacity;
    private final int perSigner;
    private final Map<SignedMessage, Address> pending = new LinkedHashMap<>();
    private final Map<Address, Integer> bySigner = new HashMap<>();

    /** A per-signer quota, so one faulty member cannot crowd out everyone else's messages. */
    FutureBuffer(int capacity, int perSigner) {
        this.capacity = capacity;
        this.perSigner = perSigner;
    }

    boolean contains(SignedMessage m) {
        return pending.containsKey(m);
    }

    /** False when full. */
    boolean add(SignedMessage m, Address signer) {
        if (pending.size() >= capacity || bySigner.getOrDefault(signer, 0) >= perSigner) return false;
        pending.put(m, signer);
        bySigner.merge(signer, 1, Integer::sum);
        return true;
    }

    /** Removes and returns the messages for {@code height}, in arrival order; discards those below it. */
    List<Pending> takeFor(long height) {
        List<Pending> out = new ArrayList<>();
        for (Iterator<Map.Entry<SignedMessage, Address>> it = pending.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<SignedMessage, Address> e = it.next();
            long h = e.getKey().message().height();
            if (h <= height) {
                it.remove();
                bySigner.computeIfPresent(e.getValue(), (k, n) -> n > 1 ? n - 1 : null);
                if (h == height) out.add(new Pending(e.getKey(), e.getValue()));
            }
        }
        return out;
    }
}
