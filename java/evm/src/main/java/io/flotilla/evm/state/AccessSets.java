package io.flotilla.evm.state;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.HashSet;
import java.util.Set;

/** EIP-2929 warm addresses and slots; warming is undone when the frame that did it reverts. */
public final class AccessSets {
    private final Journal journal;
    private final Set<Address> addresses = new HashSet<>();
    private final Set<StorageSlot> slots = new HashSet<>();

    public AccessSets(Journal journal) {
        this.journal = journal;
    }

    /** Marks the address warm; true if it already was. */
    public boolean warm(Address a) {
        if (addresses.add(a)) {
            journal.record(() -> addresses.remove(a));
            return false;
        }
        return true;
    }

    public boolean isWarm(Address a) {
        return addresses.contains(a);
    }

    /** Marks the slot warm; true if it already was. */
    public boolean warm(Address a, Word key) {
        StorageSlot s = new StorageSlot(a, key);
        if (slots.add(s)) {
            journal.record(() -> slots.remove(s));
            return false;
        }
        return true;
    }
}
