package io.flotilla.chain.execution;

import io.flotilla.chain.storage.Block;
import io.flotilla.chain.storage.StateDiff;
import io.flotilla.chain.storage.TxReceipt;
import java.util.List;

/**
 * A block together with what executing it produced: ready to be committed as one unit. {@code tries} are the state
 * tries after the block as execution derived them (null when the block was put together elsewhere: the commit then
 * derives them from the diff).
 */
public record ExecutedBlock(Block block, List<TxReceipt> receipts, StateDiff stateDiff, StateTries.Update tries) {
    public ExecutedBlock {
        receipts = List.copyOf(receipts);
    }

    public ExecutedBlock(Block block, List<TxReceipt> receipts, StateDiff stateDiff) {
        this(block, receipts, stateDiff, null);
    }

    /** The same block carrying the consensus engine's commit certificate (the block hash does not change). */
    public ExecutedBlock withCommitCertificate(byte[] certificate) {
        return new ExecutedBlock(new Block(block.header().withCommitCertificate(certificate), block.transactions()), receipts, stateDiff, tries);
    }
}
