package io.flotilla.chain.snapshot;

import io.flotilla.chain.storage.Block;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.List;
import java.util.Optional;

/**
 * Where a joining member keeps what a snapshot sync verified, durably, until it is complete: the target block, the
 * trie nodes still to fetch (by trie, path and hash), the code still to fetch, the accounts, slots, code and recent
 * blocks already verified. A restart resumes from it. {@link #install} makes it the chain's state and head at once.
 * Implemented over the chain store's staging area ({@link StagedSink}).
 */
public interface SnapshotSink {
    /** A node still to fetch: in the account trie ({@code account} null) or in {@code account}'s storage trie. */
    record Ref(Address account, byte[] path, byte[] hash) {
    }

    /**
     * An account as the account trie holds it (the code and storage come separately); {@code keyHash} is
     * keccak(address), its trie key, already computed when the leaf was verified.
     */
    record StagedAccount(Address address, long nonce, Word balance, byte[] codeHash, byte[] storageRoot, byte[] keyHash) {
        public StagedAccount(Address address, long nonce, Word balance, byte[] codeHash, byte[] storageRoot) {
            this(address, nonce, balance, codeHash, storageRoot, io.flotilla.evm.crypto.Keccak.hash(address.toArray()));
        }

        public StagedAccount(Address address, long nonce, Word balance, byte[] codeHash) {
            this(address, nonce, balance, codeHash, io.flotilla.evm.trie.PatriciaTrie.EMPTY_ROOT.clone());
        }
    }

    /** A storage slot; {@code keyHash} is keccak(slot), its trie key, already computed when the leaf was verified. */
    record StagedSlot(Address account, Word slot, Word value, byte[] keyHash) {
        public StagedSlot(Address account, Word slot, Word value) {
            this(account, slot, value, io.flotilla.evm.crypto.Keccak.hash(slot.toBytes()));
        }
    }

    /** A trie node checked against {@code hash} (the hash its parent names). */
    record VerifiedNode(byte[] hash, byte[] encoding) {
    }

    /**
     * What one verified answer adds, written at once: refs fetched ({@code done}) and discovered ({@code added}),
     * code fetched and still needed, accounts, slots and blocks verified, the next ancestor to fetch (with the
     * hash it must have) when it changed, and the verified trie nodes (one entry per position: the install writes
     * them as the chain's tries, counted per position).
     */
    record Progress(List<Ref> done, List<Ref> added, List<byte[]> codeDone, List<byte[]> codeAdded, List<byte[]> codes,
                    List<StagedAccount> accounts, List<StagedSlot> slots, List<Block> blocks, Ancestors ancestors,
                    List<VerifiedNode> nodes) {
        public Progress(List<Ref> done, List<Ref> added, List<byte[]> codeDone, List<byte[]> codeAdded, List<byte[]> codes,
                        List<StagedAccount> accounts, List<StagedSlot> slots, List<Block> blocks, Ancestors ancestors) {
            this(done, added, codeDone, codeAdded, codes, accounts, slots, blocks, ancestors, List.of());
        }

        public static Progress empty() {
            return new Progress(List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), null);
        }
    }

    /** The next block to fetch below the target (downwards) and its hash; {@code next} < {@code last} when done. */
    record Ancestors(long next, byte[] hash, long last) {
        public boolean done() {
            return next < last;
        }
    }

    /** The block whose state is being fetched, when a sync is under way (or was, before a restart). */
    Optional<Block> target();

    /** Forgets anything staged and starts a sync of {@code target}'s state, the root being the first node to fetch. */
    void begin(Block target, Ancestors ancestors);

    List<Ref> pendingRefs();

    List<byte[]> pendingCode();

    Optional<Ancestors> ancestors();

    /** Whether code with this hash is already staged or stored. */
    boolean hasCode(byte[] codeHash);

    void save(Progress progress);

    /** Makes the staged state the chain's, with the target as head; throws (changing nothing) when it does not match. */
    void install();

    /** Forgets the sync. */
    void discard();
}
