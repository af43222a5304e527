package io.flotilla.evm.state;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.rlp.Rlp;
import io.flotilla.evm.trie.MerklePatriciaTrie;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.Map;

/** Derives the secure-trie state root: keccak(address) -> rlp([nonce, balance, storageRoot, codeHash]). */
public final class StateRoot {
    private StateRoot() {
    }

    public static byte[] compute(WorldState state) {
        MerklePatriciaTrie trie = new MerklePatriciaTrie();
        for (Address a : state.addresses()) {
            Account acc = state.account(a);
            byte[] storageRoot = storageRoot(state.storageOf(a));
            byte[] enc = Rlp.encode(Rlp.list(
                    Rlp.uint(acc.nonce()),
                    Rlp.bytes(acc.balance().toMinimalBytes()),
                    Rlp.bytes(storageRoot),
                    Rlp.bytes(acc.codeHash())));
            trie.put(Keccak.hash(a.toArray()), enc);
        }
        return trie.rootHash();
    }

    public static byte[] storageRoot(Map<Word, Word> slots) {
        MerklePatriciaTrie trie = new MerklePatriciaTrie();
        for (Map.Entry<Word, Word> e : slots.entrySet()) {
            if (e.getValue().isZero()) continue;
            trie.put(Keccak.hash(e.getKey().toBytes()), Rlp.encode(Rlp.bytes(e.getValue().toMinimalBytes())));
        }
        return trie.rootHash();
    }
}
