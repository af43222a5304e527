package io.flotilla.evm.state;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.rlp.Rlp;
import io.flotilla.evm.trie.PatriciaTrie;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.Map;

/** Derives the secure-trie state root: keccak(address) -> rlp([nonce, balance, storageRoot, codeHash]). */
public final class StateRoot {
    private StateRoot() {
    }

    public static byte[] compute(WorldState state) {
        return accountTrie(state).rootHash();
    }

    /** The account trie of {@code state}, built from scratch (the chain keeps it and updates it per block instead). */
    public static PatriciaTrie accountTrie(WorldState state) {
        PatriciaTrie trie = PatriciaTrie.empty();
        for (Address a : state.addresses()) {
            Account acc = state.account(a);
            trie = trie.put(accountKey(a), accountValue(acc, storageRoot(state.storageOf(a))));
        }
        return trie;
    }

    public static byte[] storageRoot(Map<Word, Word> slots) {
        return storageTrie(slots).rootHash();
    }

    /** The storage trie of the slots {@code slots} (zero values are absent). */
    public static PatriciaTrie storageTrie(Map<Word, Word> slots) {
        PatriciaTrie trie = PatriciaTrie.empty();
        for (Map.Entry<Word, Word> e : slots.entrySet()) {
            if (e.getValue().isZero()) continue;
            trie = trie.put(slotKey(e.getKey()), slotValue(e.getValue()));
        }
        return trie;
    }

    /** The secure-trie key of an account: keccak(address). */
    public static byte[] accountKey(Address a) {
        return Keccak.hash(a.toArray());
    }

    /** The account trie's value: rlp([nonce, balance, storageRoot, codeHash]). */
    public static byte[] accountValue(Account acc, byte[] storageRoot) {
        return Rlp.encode(Rlp.list(
                Rlp.uint(acc.nonce()),
                Rlp.bytes(acc.balance().toMinimalBytes()),
                Rlp.bytes(storageRoot),
                Rlp.bytes(acc.codeHash())));
    }

    /** The secure-trie key of a storage slot: keccak(slot). */
    public static byte[] slotKey(Word slot) {
        return Keccak.hash(slot.toBytes());
    }

    /** The storage trie's value: rlp(minimal big-endian bytes of the slot's value); empty for zero (= absent). */
    public static byte[] slotValue(Word value) {
        return value.isZero() ? new byte[0] : Rlp.encode(Rlp.bytes(value.toMinimalBytes()));
    }
}
