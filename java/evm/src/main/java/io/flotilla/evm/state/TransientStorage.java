package io.flotilla.evm.state;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.HashMap;
import java.util.Map;

/** EIP-1153 storage that lives for one transaction and reverts with its frame. */
public final class TransientStorage {
    private final Journal journal;
    private final Map<StorageSlot, Word> values = new HashMap<>();

    public TransientStorage(Journal journal) {
        this.journal = journal;
    }

    public Word get(Address a, Word key) {
        Word v = values.get(new StorageSlot(a, key));
        return v == null ? Word.ZERO : v;
    }

    public void set(Address a, Word key, Word value) {
        StorageSlot s = new StorageSlot(a, key);
        Word old = value.isZero() ? values.remove(s) : values.put(s, value);
        journal.record(() -> {
            if (old == null) values.remove(s);
            else values.put(s, old);
        });
    }
}
