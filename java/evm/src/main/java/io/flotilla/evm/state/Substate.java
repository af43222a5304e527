package io.flotilla.evm.state;

import io.flotilla.evm.types.Address;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a transaction accumulates besides state: logs, the refund counter, accounts to delete
 * and touched accounts. All of it reverts with the frame that produced it.
 */
public final class Substate {
    private final Journal journal;
    private final List<Log> logs = new ArrayList<>();
    private final Set<Address> toDelete = new LinkedHashSet<>();
    private final Set<Address> touched = new LinkedHashSet<>();
    private final Set<Address> stickyTouched = new HashSet<>();
    private long refund;

    public Substate(Journal journal) {
        this.journal = journal;
    }

    public void addLog(Log log) {
        logs.add(log);
        journal.record(() -> logs.remove(logs.size() - 1));
    }

    public List<Log> logs() {
        return List.copyOf(logs);
    }

    public void addRefund(long delta) {
        refund += delta;
        journal.record(() -> refund -= delta);
    }

    public long refund() {
        return refund;
    }

    public void markForDeletion(Address a) {
        if (toDelete.add(a)) journal.record(() -> toDelete.remove(a));
    }

    public Set<Address> toDelete() {
        return Set.copyOf(toDelete);
    }

    public void touch(Address a) {
        if (touched.add(a)) journal.record(() -> touched.remove(a));
    }

    /**
     * A touch that survives the failing frame: mainnet once cleared the empty RIPEMD-160 account
     * after an out-of-gas call (block 2675119), and the specs keep that behaviour.
     */
    public void touchSticky(Address a) {
        stickyTouched.add(a);
    }

    public void clearSticky() {
        stickyTouched.clear();
    }

    public Set<Address> touched() {
        Set<Address> all = new LinkedHashSet<>(touched);
        all.addAll(stickyTouched);
        return all;
    }
}
