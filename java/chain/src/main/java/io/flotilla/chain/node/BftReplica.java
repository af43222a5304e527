package io.flotilla.chain.node;

import io.flotilla.chain.consensus.CommitCertificate;
import io.flotilla.chain.consensus.ConsensusEngine;
import io.flotilla.chain.consensus.ConsensusEngines;
import io.flotilla.chain.consensus.ConsensusEvent;
import io.flotilla.chain.consensus.Effect;
import io.flotilla.chain.consensus.EngineContext;
import io.flotilla.chain.consensus.MemberSet;
import io.flotilla.chain.consensus.MessageCodec;
import io.flotilla.chain.consensus.NodeKey;
import io.flotilla.chain.consensus.Signature;
import io.flotilla.chain.consensus.SignedMessage;
import io.flotilla.chain.consensus.bft.BftConfig;
import io.flotilla.chain.consensus.bft.BftEngineFactory;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.SubmissionException;
import io.flotilla.chain.execution.TxSubmission;
import io.flotilla.chain.mempool.Mempool;
import io.flotilla.chain.p2p.NodeSigner;
import io.flotilla.chain.p2p.PeerLimits;
import io.flotilla.chain.p2p.PeerNetwork;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.web3j.rlp.RlpEncoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * One member of a chain running BFT consensus: it feeds the pure engine with messages from the peer network,
 * timeouts and "a block can be proposed" ticks, all on one thread, and performs the engine's effects: broadcast,
 * schedule a timeout, commit a decided block with its certificate and start the next height.
 */
public final class BftReplica implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(BftReplica.class.getName());
    private static final Duration TICK = Duration.ofMillis(100);
    private static final Duration GOSSIP_AFTER = Duration.ofSeconds(1);
    // Peer messages start with their kind.
    private static final byte CONSENSUS = 0;
    private static final byte TRANSACTION = 1;

    /** A member as the replica reaches it: its address and its consensus endpoint. */
    public record Peer(io.flotilla.evm.types.Address address, InetSocketAddress consensusEndpoint) {}

    private final long chainId;
    private final ChainState chain;
    private final ChainApplication application;
    private final ConsensusEngine engine;
    private final MemberSet members;
    private final PeerNetwork network;
    private final Duration blockTime;
    private final Clock clock;
    private final ExecutorService loop;
    private final ScheduledExecutorService timers;
    private final AtomicLong committedAt = new AtomicLong();
    private volatile long height;
    private volatile io.flotilla.chain.consensus.ConsensusStatus status;

    public BftReplica(long chainId, BigInteger nodeKey, ChainState chain, Mempool mempool, TxSubmission submission,
            InetSocketAddress consensusBind, List<Peer> peers, Duration blockTime, Duration heartbeat, BftConfig bft, Clock clock) {
        this.chainId = chainId;
        this.chain = chain;
        this.blockTime = blockTime;
        this.clock = clock;
        NodeKey key = new NodeKey(nodeKey);
        this.application = new ChainApplication(chain, mempool, key.address(), heartbeat, clock);
        this.engine = new ConsensusEngines(List.of(new BftEngineFactory(bft))).create(BftEngineFactory.NAME,
                new EngineContext(chainId, key, application));
        this.members = new MemberSet(peers.stream().map(Peer::address).toList());
        // Deep EVM call stacks execute on the loop thread (proposals and validation): give it a large stack.
        this.loop = Executors.newSingleThreadExecutor(r -> new Thread(null, r, "bft-loop", 64L << 20));
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("bft-timers").unstarted(r));
        this.network = new PeerNetwork(new NodeSigner(nodeKey), chainId, consensusBind, PeerLimits.defaults(), (from, bytes) -> {
            if (bytes.length == 0) {
                return;
            }
            byte[] body = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
            if (bytes[0] == TRANSACTION) {
                try {
                    submission.submit(body); // known or invalid transactions are refused and not gossiped again
                } catch (SubmissionException | RuntimeException e) {
                    LOG.log(System.Logger.Level.TRACE, "gossiped transaction refused: " + e.getMessage());
                }
                return;
            }
            try {
                SignedMessage message = MessageCodec.decode(body);
                loop.execute(() -> handle(new ConsensusEvent.MessageReceived(message)));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "undecodable consensus message from " + from);
            }
        });
        // Every transaction this member accepts (from a client or a peer) is passed on once, so any proposer has it.
        submission.onAccepted(tx -> network.broadcast(framed(TRANSACTION, tx.raw())));
        this.network.setMembers(peers.stream().map(p -> new PeerNetwork.Peer(p.address(), p.consensusEndpoint())).toList());
    }

    public void start() throws IOException {
        network.start();
        committedAt.set(clock.millis());
        loop.execute(() -> startHeight(chain.head().number() + 1));
        timers.scheduleWithFixedDelay(() -> loop.execute(this::tick), TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The height being decided. */
    public long height() {
        return height;
    }

    /** The engine's position after the last event it handled (read from any thread). */
    public io.flotilla.chain.consensus.ConsensusStatus status() {
        return status;
    }

    public PeerNetwork network() {
        return network;
    }

    private void startHeight(long next) {
        height = next;
        handle(new ConsensusEvent.StartHeight(next, members));
    }

    /** Lets the proposer propose once the block time has passed and there is work; re-gossips when stuck. */
    private void tick() {
        long sinceCommit = clock.millis() - committedAt.get();
        if (sinceCommit >= blockTime.toMillis() && application.hasWork()) {
            handle(new ConsensusEvent.BlockAvailable(height));
        }
        if (sinceCommit >= GOSSIP_AFTER.toMillis() && sinceCommit % 1000 < TICK.toMillis()) {
            for (SignedMessage m : engine.messagesForGossip()) {
                network.broadcast(framed(CONSENSUS, MessageCodec.encode(m)));
            }
        }
    }

    private void handle(ConsensusEvent event) {
        List<Effect> effects;
        try {
            effects = engine.handle(event);
            status = engine.status();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "consensus engine failed on " + event.getClass().getSimpleName(), e);
            return;
        }
        for (Effect effect : effects) {
            switch (effect) {
                case Effect.Broadcast b -> network.broadcast(framed(CONSENSUS, MessageCodec.encode(b.message())));
                case Effect.ScheduleTimeout t -> timers.schedule(() -> loop.execute(() -> handle(new ConsensusEvent.TimeoutFired(t.timeout()))),
                        t.after().toMillis(), TimeUnit.MILLISECONDS);
                case Effect.Commit c -> {
                    application.commit(c.block(), encode(c.certificate()));
                    committedAt.set(clock.millis());
                    startHeight(c.certificate().height() + 1);
                }
                case Effect.ReportEvidence e -> LOG.log(System.Logger.Level.WARNING, "equivocation: " + e.evidence());
            }
        }
    }

    private static byte[] framed(byte kind, byte[] body) {
        byte[] out = new byte[body.length + 1];
        out[0] = kind;
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    /** RLP [height, round, blockHash, [signature...]]: stored in the block so anyone can verify it. */
    static byte[] encode(CommitCertificate certificate) {
        List<RlpType> signatures = new ArrayList<>();
        for (Signature s : certificate.signatures()) {
            signatures.add(RlpString.create(s.toBytes()));
        }
        return RlpEncoder.encode(new RlpList(RlpString.create(certificate.height()), RlpString.create(certificate.round()),
                RlpString.create(certificate.blockHash().bytes()), new RlpList(signatures)));
    }

    @Override
    public void close() {
        timers.shutdownNow();
        loop.shutdown();
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        network.close();
    }
}
