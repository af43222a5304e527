package io.flotilla.chain.snapshot;

import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.storage.Block;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.tx.TxDecoder;
import io.flotilla.evm.types.Address;
import java.nio.ByteBuffer;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.InMemoryWorldState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;

/**
 * {@link SnapshotSink} over the chain store's staging area (flat records, storage roots, trie nodes counted per
 * position, code, blocks; nothing kept in the heap) ({@link ChainStore#staging}), installed through
 * {@link ChainState#installStaged}. Progress records: "target" (the block), "anc" (next ancestor, its hash, the last
 * one), "r" + trie + path (a node still to fetch: its hash; trie = 0 for the account trie, 1 + address for a storage
 * trie), "k" + code hash (code still to fetch).
 */
public final class StagedSink implements SnapshotSink {
    private static final byte[] TARGET = {'t'};
    private static final byte[] ANCESTORS = {'a'};
    private static final byte[] REF = {'r'};
    private static final byte[] CODE = {'k'};

    private final ChainState chain;
    private final ChainStore.Staging staging;
    private final TxDecoder decoder;

    public StagedSink(ChainState chain) {
        this.chain = chain;
        this.staging = chain.snapshotStaging();
        this.decoder = chain.decoder();
    }

    @Override
    public Optional<Block> target() {
        return staging.record(TARGET).map(b -> {
            try {
                return Block.decode(b, decoder);
            } catch (io.flotilla.chain.tx.InvalidTransactionException e) {
                throw new IllegalStateException("the staged snapshot target does not decode", e);
            }
        });
    }

    @Override
    public void begin(Block target, Ancestors ancestors) {
        staging.clear();
        try (ChainStore.Staging.Batch b = staging.batch()) {
            b.record(TARGET, target.encode()).block(target).record(ANCESTORS, encode(ancestors));
            if (!java.util.Arrays.equals(target.header().stateRoot(), io.flotilla.evm.trie.PatriciaTrie.EMPTY_ROOT)) {
                b.record(refName(new Ref(null, new byte[0], target.header().stateRoot())), target.header().stateRoot());
            }
            b.write();
        }
    }

    @Override
    public List<Ref> pendingRefs() {
        List<Ref> out = new ArrayList<>();
        staging.forEachRecord(REF, (name, hash) -> {
            Address a = name[0] == 0 ? null : Address.of(java.util.Arrays.copyOfRange(name, 1, 21));
            out.add(new Ref(a, java.util.Arrays.copyOfRange(name, a == null ? 1 : 21, name.length), hash));
        });
        return out;
    }

    @Override
    public List<byte[]> pendingCode() {
        List<byte[]> out = new ArrayList<>();
        staging.forEachRecord(CODE, (name, v) -> out.add(name));
        return out;
    }

    @Override
    public Optional<Ancestors> ancestors() {
        return staging.record(ANCESTORS).map(v -> {
            ByteBuffer b = ByteBuffer.wrap(v);
            long next = b.getLong();
            long last = b.getLong();
            byte[] h = new byte[32];
            b.get(h);
            return new Ancestors(next, h, last);
        });
    }

    @Override
    public boolean hasCode(byte[] codeHash) {
        return staging.hasCode(codeHash);
    }

    @Override
    public void save(Progress p) {
        try (ChainStore.Staging.Batch b = staging.batch()) {
            for (Ref r : p.done()) b.forget(refName(r));
            for (Ref r : p.added()) b.record(refName(r), r.hash());
            for (byte[] c : p.codeDone()) b.forget(TrieNodes.append(CODE, c));
            for (byte[] c : p.codeAdded()) b.record(TrieNodes.append(CODE, c), new byte[0]);
            for (byte[] code : p.codes()) b.code(io.flotilla.evm.crypto.Keccak.hash(code), code);
            for (StagedAccount a : p.accounts()) {
                b.account(a.address(), a.keyHash(), a.nonce(), a.balance(), a.codeHash()).storageRoot(a.address(), a.storageRoot());
            }
            for (SnapshotSink.VerifiedNode n : p.nodes()) b.node(n.hash(), n.encoding());
            for (StagedSlot s : p.slots()) b.slot(s.account(), s.slot(), s.keyHash(), s.value());
            for (Block blk : p.blocks()) b.block(blk);
            if (p.ancestors() != null) b.record(ANCESTORS, encode(p.ancestors()));
            b.write();
        }
    }

    @Override
    public void install() {
        Block t = target().orElseThrow(() -> new IllegalStateException("no snapshot staged"));
        chain.installStaged(t.number());
    }

    @Override
    public void discard() {
        staging.clear();
    }

    private static byte[] refName(Ref r) {
        byte[] trie = r.account() == null ? new byte[] {0} : TrieNodes.append(new byte[] {1}, r.account().toArray());
        return TrieNodes.append(REF, TrieNodes.append(trie, r.path()));
    }

    private static byte[] encode(Ancestors a) {
        return ByteBuffer.allocate(48).putLong(a.next()).putLong(a.last()).put(a.hash()).array();
    }
}
