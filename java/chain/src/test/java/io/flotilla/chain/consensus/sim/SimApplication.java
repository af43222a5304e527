package io.flotilla.chain.consensus.sim;

import io.flotilla.chain.consensus.ConsensusApplication;
import io.flotilla.chain.consensus.ProposedBlock;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A toy chain: a block for height h is any payload starting "h=<h>;". Each proposal is unique
 * (a counter), so re-proposals and decisions are distinguishable.
 */
public final class SimApplication implements ConsensusApplication {
    private final String name;
    private int counter;
    private boolean idle;

    public SimApplication(String name) {
        this.name = name;
    }

    public static ProposedBlock block(long height, String text) {
        return ProposedBlock.of(("h=" + height + ";" + text).getBytes(StandardCharsets.UTF_8));
    }

    /** While idle, the mempool is empty: nothing to propose. */
    public void setIdle(boolean idle) {
        this.idle = idle;
    }

    @Override
    public Optional<ProposedBlock> proposeBlock(long height) {
        if (idle) return Optional.empty();
        return Optional.of(block(height, "by=" + name + ";n=" + counter++));
    }

    @Override
    public boolean isValid(long height, ProposedBlock block) {
        return new String(block.payload(), StandardCharsets.UTF_8).startsWith("h=" + height + ";");
    }
}
