package io.flotilla.chain.execution;

import io.flotilla.chain.storage.Block;
import io.flotilla.chain.storage.StateDiff;
import io.flotilla.chain.storage.BlockHeader;
import io.flotilla.chain.storage.TxReceipt;
import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.evm.rlp.Rlp;
import io.flotilla.evm.state.WorldState;
import io.flotilla.evm.trie.MerklePatriciaTrie;
import io.flotilla.evm.tx.Receipt;
import io.flotilla.evm.tx.TransactionProcessor;
import io.flotilla.evm.tx.TxOutcome;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import io.flotilla.evm.vm.BlockEnv;
import io.flotilla.evm.vm.ContractAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * Applies ordered transactions on top of a parent block and derives the resulting header. The same code path
 * serves proposers (offer transactions one by one, keep what fits) and validators (re-execute a received block
 * and compare), so both always agree on roots.
 */
public final class BlockExecutor {
    private final ChainConfig config;
    private final TransactionProcessor processor = new TransactionProcessor();

    public BlockExecutor(ChainConfig config) {
        this.config = config;
    }

    public ChainConfig config() {
        return config;
    }

    /** The block context the EVM sees for a child of {@code parent}. PREVRANDAO is zero: BFT has no beacon randomness. */
    public BlockEnv blockEnv(long number, long timestamp, Address proposer, Word baseFee, LongFunction<Word> blockHashes) {
        return new BlockEnv(proposer, number, timestamp, config.gasLimit(), baseFee, Word.ZERO, config.chainId(), 0, blockHashes);
    }

    /**
     * Starts a block on top of {@code parent}. {@code committed} is read, never written: all changes land in an
     * overlay. {@code blockHashes} answers BLOCKHASH for earlier blocks. {@code tries} are the tries of
     * {@code committed}: the block's state root is derived from them by updating only what the block changed.
     */
    public Session begin(BlockHeader parent, WorldState committed, long timestamp, Address proposer, byte[] extraData,
                         LongFunction<Word> blockHashes, StateTries tries) {
        return new Session(parent, new OverlayWorldState(committed), timestamp, proposer, extraData, blockHashes, tries);
    }

    /** Re-executes every transaction of {@code block}; any rejected transaction or mismatching root invalidates it. */
    public ExecutedBlock verify(BlockHeader parent, WorldState committed, Block block, LongFunction<Word> blockHashes,
                                StateTries tries) throws InvalidBlockException {
        BlockHeader h = block.header();
        if (h.number() != parent.number() + 1) throw new InvalidBlockException("number " + h.number() + " does not follow " + parent.number());
        if (!java.util.Arrays.equals(h.parentHash(), parent.hash())) throw new InvalidBlockException("parent hash mismatch");
        if (h.timestamp() < parent.timestamp()) throw new InvalidBlockException("timestamp goes backwards");
        long body = 0;
        for (SignedTransaction tx : block.transactions()) {
            if (tx.raw().length > config.maxTxBytes()) {
                throw new InvalidBlockException("transaction " + tx.hashHex() + " of " + tx.raw().length + " bytes exceeds the limit of " + config.maxTxBytes());
            }
            body += ChainConfig.bodyBytes(tx);
        }
        if (body > config.maxBodyBytes()) throw new InvalidBlockException("block body of " + body + " bytes exceeds the limit of " + config.maxBodyBytes());
        Session s = begin(parent, committed, h.timestamp(), h.proposer(), h.extraData(), blockHashes, tries);
        for (SignedTransaction tx : block.transactions()) {
            TxApplyResult r = s.apply(tx);
            if (!(r instanceof TxApplyResult.Included)) throw new InvalidBlockException("transaction " + tx.hashHex() + " invalid: " + r);
        }
        ExecutedBlock executed = s.finish();
        if (!java.util.Arrays.equals(executed.block().hash(), h.hash())) {
            throw new InvalidBlockException("block " + h.number() + " does not match its execution (state, roots, gas or fields differ)");
        }
        // Keep the received header: it carries the commit certificate.
        return new ExecutedBlock(block, executed.receipts(), executed.stateDiff(), executed.tries());
    }

    /** One block under construction. Not thread-safe; discard it if not finished. */
    public final class Session {
        private final BlockHeader parent;
        private final OverlayWorldState state;
        private final long timestamp;
        private final Address proposer;
        private final byte[] extraData;
        private final BlockEnv env;
        private final List<SignedTransaction> included = new ArrayList<>();
        private final List<TxReceipt> receipts = new ArrayList<>();
        private final StateTries tries;
        private long gasUsed;

        private Session(BlockHeader parent, OverlayWorldState state, long timestamp, Address proposer, byte[] extraData,
                        LongFunction<Word> blockHashes, StateTries tries) {
            this.tries = tries;
            this.parent = parent;
            this.state = state;
            this.timestamp = timestamp;
            this.proposer = proposer;
            this.extraData = extraData.clone();
            this.env = blockEnv(parent.number() + 1, timestamp, proposer, Word.fromBigInteger(config.baseFee()), blockHashes);
        }

        public long gasRemaining() {
            return config.gasLimit() - gasUsed;
        }

        public int transactionCount() {
            return included.size();
        }

        /** Executes {@code tx} if it is valid and fits; otherwise leaves the block unchanged. */
        public TxApplyResult apply(SignedTransaction tx) {
            if (tx.gasLimit() > gasRemaining()) return new TxApplyResult.DoesNotFit(tx.gasLimit(), gasRemaining());
            TxOutcome outcome = processor.process(state, env, tx.toEvm());
            if (outcome instanceof TxOutcome.Rejected r) return new TxApplyResult.Rejected(r.reason(), r.detail());
            Receipt evm = ((TxOutcome.Included) outcome).receipt();
            gasUsed += evm.gasUsed();
            // Like geth, the address is reported for every creation, even a failed one.
            Address created = tx.isCreate() ? ContractAddress.create(tx.sender(), tx.nonce()) : null;
            TxReceipt receipt = new TxReceipt(tx.type(), evm.success(), gasUsed, evm.gasUsed(),
                    tx.effectiveGasPrice(config.baseFee()), created, evm.logs(), evm.bloom());
            included.add(tx);
            receipts.add(receipt);
            return new TxApplyResult.Included(receipt);
        }

        /** Seals the block: computes roots and bloom and builds the header (without a commit certificate). */
        public ExecutedBlock finish() {
            MerklePatriciaTrie txTrie = new MerklePatriciaTrie();
            MerklePatriciaTrie receiptTrie = new MerklePatriciaTrie();
            byte[] bloom = new byte[256];
            for (int i = 0; i < included.size(); i++) {
                byte[] key = Rlp.encode(Rlp.uint(i));
                txTrie.put(key, included.get(i).raw());
                receiptTrie.put(key, receipts.get(i).consensusEncoding());
                byte[] b = receipts.get(i).bloom();
                for (int j = 0; j < 256; j++) bloom[j] |= b[j];
            }
            StateDiff diff = state.diff();
            StateTries.Update update = tries.update(state, diff);
            BlockHeader header = new BlockHeader(parent.hash(), parent.number() + 1, timestamp, update.root(),
                    txTrie.rootHash(), receiptTrie.rootHash(), bloom, config.gasLimit(), gasUsed, config.baseFee(),
                    proposer, extraData, new byte[0]);
            return new ExecutedBlock(new Block(header, included), receipts, diff, update);
        }
    }
}
