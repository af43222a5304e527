package io.flotilla.chain.execution;

import io.flotilla.chain.storage.ChainStore;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.Map;
import java.util.Set;

/**
 * The latest committed state as the store's flat records (account by address, slot by account and slot): one read
 * per access, nothing held in the heap. Read-only: blocks change it through {@link ChainStore#commit}. The caller
 * provides consistency (the chain's read lock).
 */
final class FlatState implements CommittedState {
    private final ChainStore store;

    FlatState(ChainStore store) {
        this.store = store;
    }

    @Override
    public Account account(Address address) {
        return store.account(address);
    }

    @Override
    public Word storage(Address address, Word key) {
        return store.storage(address, key);
    }

    @Override
    public Map<Word, Word> storageOf(Address address) {
        return store.storageOf(address);
    }

    @Override
    public boolean hasStorage(Address address) {
        return !java.util.Arrays.equals(store.storageRoot(address), io.flotilla.evm.trie.PatriciaTrie.EMPTY_ROOT);
    }

    @Override
    public Set<Address> addresses() {
        return store.addresses();
    }




}
