package io.flotilla.chain.node;

import io.flotilla.chain.consensus.BlockHash;
import io.flotilla.chain.consensus.ConsensusApplication;
import io.flotilla.chain.consensus.ProposedBlock;
import io.flotilla.chain.execution.BlockBuilder;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.ExecutedBlock;
import io.flotilla.chain.mempool.Mempool;
import io.flotilla.chain.storage.Block;
import io.flotilla.evm.types.Address;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The chain as the consensus engine sees it: proposals are built from the mempool (only when transactions wait,
 * or when the heartbeat interval passed on an idle chain), and another member's proposal is valid when it
 * extends our head and re-executing it gives the state root its header claims. Executed blocks are kept by hash so
 * the one decided is committed without executing it again.
 */
final class ChainApplication implements ConsensusApplication {

    private final ChainState chain;
    private final Mempool mempool;
    private final BlockBuilder builder;
    private final Address self;
    private final Membership membership;
    private final Duration heartbeat;
    private final Duration blockTime;
    private volatile long committedAtMillis;
    private final Clock clock;
    private final Map<BlockHash, ExecutedBlock> executed = new ConcurrentHashMap<>();
    /** Wall time of the last blocks this member executed (built or verified), newest last. */
    private final long[] executionMillis = new long[16];
    private int executions;

    ChainApplication(ChainState chain, Mempool mempool, Address self, Membership membership, Duration blockTime, Duration heartbeat,
            Clock clock) {
        this.blockTime = blockTime;
        this.chain = chain;
        this.membership = membership;
        this.mempool = mempool;
        this.builder = new BlockBuilder(chain, mempool);
        this.self = self;
        this.heartbeat = heartbeat;
        this.clock = clock;
    }

    /** Whether a proposer at the next height has something to propose now. */
    boolean hasWork() {
        boolean waiting = mempool.readyGas(a -> chain.account(a).nonce(), 1) > 0;
        long idleMillis = clock.millis() - chain.head().timestamp() * 1000;
        return waiting || idleMillis >= heartbeat.toMillis();
    }

    /** Whether the transactions ready to go would fill a block by their own gas limits: then the block time is not waited for. */
    boolean blockFull() {
        long gasLimit = chain.config().gasLimit();
        return mempool.readyGas(a -> chain.account(a).nonce(), gasLimit) >= gasLimit;
    }

    /** Whether a proposer may propose now: a full block at once, a partial one after the block time since our last commit. */
    boolean dueToPropose() {
        return millisSinceCommit() >= blockTime.toMillis() || blockFull();
    }

    @Override
    public boolean hasWork(long height) {
        return hasWork();
    }

    @Override
    public Optional<ProposedBlock> proposeBlock(long height) {
        if (height != chain.head().number() + 1 || !hasWork()) {
            return Optional.empty();
        }
        if (!dueToPropose()) {
            return Optional.empty(); // too early: the replica offers the block again once the block time has passed
        }
        long started = System.nanoTime();
        ExecutedBlock block = builder.build(clock.millis() / 1000, self, membership.nextDeclaredAt(height).encode());
        recordExecution(started);
        byte[] payload = block.block().encode();
        BlockHash hash = hashOf(payload);
        executed.put(hash, block);
        return Optional.of(new ProposedBlock(hash, payload));
    }

    @Override
    public boolean isValid(long height, ProposedBlock proposed) {
        return judge(height, proposed, null) == Verdict.VALID;
    }

    /**
     * A block is valid when it is within the size limit, for this height, names one of {@code proposers} (null: any)
     * in its header, is not stamped more than 15 s ahead of our clock, declares an acceptable member set and
     * re-executes to its roots. The timestamp and proposer checks answer NOT_YET: the engine asks again later (our
     * clock moves on; a later round's proposer may re-propose the block), so an early "no" does not stick for the
     * height.
     */
    @Override
    public Verdict judge(long height, ProposedBlock proposed, java.util.Set<Address> proposers) {
        if (executed.containsKey(proposed.hash())) {
            return Verdict.VALID;
        }
        if (proposed.size() > chain.config().maxBlockBytes()) {
            return Verdict.INVALID; // no honest proposer builds it, and nobody executes it
        }
        try {
            Block block = Block.decode(proposed.payload(), chain.decoder());
            if (block.number() != height) {
                return Verdict.INVALID;
            }
            if (block.header().commitCertificate().length != 0) {
                // A proposal has no certificate yet, and the field is outside the block hash: anything in it would
                // travel (and be re-gossiped) unchecked.
                return Verdict.INVALID;
            }
            if (proposers != null && !proposers.contains(block.header().proposer())) {
                return Verdict.NOT_YET; // names somebody who did not propose (yet) at this height
            }
            if (block.header().timestamp() * 1000 > clock.millis() + 15_000) {
                return Verdict.NOT_YET; // too far in our future, for now
            }
            if (!membership.acceptable(height, block.header().extraData())) {
                return Verdict.INVALID; // declares a member set that is neither the current one nor the one our agent gave us
            }
            long started = System.nanoTime();
            try {
                executed.put(proposed.hash(), chain.verify(block));
            } finally {
                recordExecution(started);
            }
            return Verdict.VALID;
        } catch (Exception e) {
            return Verdict.INVALID;
        }
    }

    private synchronized void recordExecution(long startedNanos) {
        executionMillis[executions++ % executionMillis.length] = (System.nanoTime() - startedNanos) / 1_000_000;
    }

    /**
     * The longest of the last 16 block executions: round timeouts grow by it, so a chain whose blocks take long
     * to execute (a stream of worst-case blocks) still decides instead of timing out rounds forever.
     */
    synchronized long slowestRecentExecutionMillis() {
        long max = 0;
        for (long m : executionMillis) max = Math.max(max, m);
        return max;
    }

    @Override
    public BlockHash hashOf(byte[] payload) {
        return new BlockHash(Block.headerOf(payload).hash());
    }

    /** Commits the decided block with its certificate; forgets every other candidate. */
    void commit(ProposedBlock decided, byte[] certificate) {
        ExecutedBlock block = executed.get(decided.hash());
        if (block == null) {
            isValid(chain.head().number() + 1, decided);
            block = executed.get(decided.hash());
        }
        if (block == null) {
            throw new IllegalStateException("decided block " + decided.hash() + " does not execute on our head");
        }
        chain.commit(block.withCommitCertificate(certificate));
        markCommitted();
        executed.clear();
    }

    /** The head moved now (a commit, catch-up, or start-up): the block time counts from here. */
    void markCommitted() {
        committedAtMillis = clock.millis();
    }

    long millisSinceCommit() {
        return clock.millis() - committedAtMillis;
    }

    /** Drops executed candidates (the head moved by catch-up). */
    void forgetCandidates() {
        executed.clear();
    }
}
