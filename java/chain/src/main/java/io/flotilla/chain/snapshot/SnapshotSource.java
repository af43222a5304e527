package io.flotilla.chain.snapshot;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.List;

/**
 * What a member serving snapshots reads: the state tries at the heights it keeps for that (its pins), node by node,
 * and the preimages of the trie keys (the address of an account key keccak(address), the slot of a storage key
 * keccak(slot)) that a joiner needs to store the state by address and slot. Implemented over the chain's store
 * (trie nodes by hash, preimage and code records: {@link ChainSnapshots}).
 * All methods may be called from any thread.
 */
public interface SnapshotSource {
    /** The heights whose state is kept for serving, ascending. */
    List<Long> heights();

    /**
     * The encoding of the node at nibble path {@code path} of the account trie ({@code account} null) or of
     * {@code account}'s storage trie, in the state after block {@code height}; null when that height is not kept or
     * no node starts there.
     */
    byte[] node(long height, Address account, byte[] path);

    /**
     * As {@link #node(long, Address, byte[])} for a node whose hash is known from its parent, already read from the
     * same state: a store that keeps nodes by hash reads it at once instead of walking down from the root. The
     * default walks.
     */
    default byte[] child(long height, Address account, byte[] path, byte[] hash) {
        return node(height, account, path);
    }

    /** The address whose account key is {@code keyHash}, or null when unknown. */
    Address account(byte[] keyHash);

    /** The slot of {@code account} whose storage key is {@code keyHash}, or null when unknown. */
    Word slot(Address account, byte[] keyHash);

    /** The code with this hash, or null when unknown. */
    byte[] code(byte[] codeHash);
}
