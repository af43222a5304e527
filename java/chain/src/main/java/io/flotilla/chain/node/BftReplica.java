package io.flotilla.chain.node;

import io.flotilla.chain.consensus.ConsensusEngine;
import io.flotilla.chain.consensus.KnownEngines;
import io.flotilla.chain.consensus.ConsensusEvent;
import io.flotilla.chain.consensus.Effect;
import io.flotilla.chain.consensus.EngineContext;
import io.flotilla.chain.consensus.MemberSet;
import io.flotilla.chain.consensus.MessageCodec;
import io.flotilla.chain.consensus.NodeKey;
import io.flotilla.chain.consensus.SafetyRecord;
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
import io.flotilla.evm.types.Address;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One member of a chain running BFT consensus: it feeds the pure engine with messages from the peer network,
 * timeouts and "a block can be proposed" ticks, all on one thread, and performs the engine's effects: persist the
 * safety record, broadcast, schedule a timeout, commit a decided block with its certificate and start the next
 * height with the member set the chain declares for it. It also tells its peers its head every few seconds and
 * catches up from one that is ahead ({@link BlockSync}).
 */
public final class BftReplica implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(BftReplica.class.getName());
    private static final Duration TICK = Duration.ofMillis(100);
    private static final Duration GOSSIP_EVERY = Duration.ofSeconds(1);
    private static final Duration STATUS_EVERY = Duration.ofSeconds(5);
    static final String SAFETY_RECORD = "consensus-safety";
    // Peer messages start with their kind.
    private static final byte CONSENSUS = 0;
    private static final byte TRANSACTION = 1;
    private static final byte STATUS = 2;
    static final byte GET_BLOCKS = 3;
    private static final byte BLOCKS = 4;
    /** Transactions in a batch ({@link TxGossip}); a single {@link #TRANSACTION} is still understood. */
    private static final byte TRANSACTIONS = 5;
    // Snapshot sync ({@link SnapshotWire}): each answer's kind is its request's + 1.
    static final byte GET_SNAPSHOTS = 6;
    static final byte SNAPSHOTS = 7;
    static final byte GET_NODES = 8;
    static final byte NODES = 9;
    static final byte GET_CODE = 10;
    static final byte CODE = 11;
    /** Gossiped transactions waiting for admission: beyond this, batches are dropped (the sender still proposes them). */
    private static final long MAX_ADMISSION_BYTES = 32L << 20;

    /** A member as the replica reaches it: its address and its consensus endpoint. */
    public record Peer(io.flotilla.evm.types.Address address, InetSocketAddress consensusEndpoint) {}

    private final long chainId;
    private final ChainState chain;
    private final ChainApplication application;
    private final ConsensusEngine engine;
    private final Membership membership;
    private final Map<Address, InetSocketAddress> endpoints = new HashMap<>();
    private final PeerNetwork network;
    private final BlockSync sync;
    private final Duration blockTime;
    private final Duration heartbeat;
    private final Clock clock;
    /** The consensus thread: own work first, then peers' messages from bounded per-peer queues, consensus first. */
    private final MessageIntake loop;
    /** Admits transactions from peers off the connection's reader thread, so consensus messages never wait behind them. */
    private final java.util.concurrent.ThreadPoolExecutor admission = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0,
            TimeUnit.MILLISECONDS, new java.util.concurrent.ArrayBlockingQueue<>(20_000),
            r -> Thread.ofPlatform().daemon().name("tx-admission").unstarted(io.flotilla.chain.os.Niceness.lowered(r)),
            new java.util.concurrent.ThreadPoolExecutor.AbortPolicy());
    private final AtomicLong admissionBytes = new AtomicLong();
    private final TxGossip gossip;
    private final ScheduledExecutorService gossipTimer;
    private final ScheduledExecutorService timers;
    /** Answers block requests on its own thread, at most 4 MiB/s per peer (8 MiB burst). */
    private final BlockServer blockServer;
    /** The snapshots this member keeps and serves (every 64 blocks, the last 2), and their server: 8 MiB/s per peer, 16 MiB/s in all. */
    private final io.flotilla.chain.snapshot.ChainSnapshots snapshots;
    private final SnapshotServer snapshotServer;
    private final SnapshotSync snapshotSync;
    /** Blocks below this are not served (a member whose history starts later; tests). */
    private volatile long oldestServedBlock = 1;
    private final AtomicLong equivocations = new AtomicLong();
    /** Consensus messages this member sent (each copy to each peer), and their bytes: the engine's network cost. */
    private final AtomicLong consensusMessagesSent = new AtomicLong();
    private final AtomicLong consensusBytesSent = new AtomicLong();
    /** A round whose proposer cannot propose ({@link #proposerUnreachable}) times out after this. */
    static final Duration UNREACHABLE_PROPOSER_TIMEOUT = Duration.ofMillis(500);
    static final int CAUGHT_UP_HEIGHTS = 3;
    /** A joining member is ready once it reported a head at most this far behind ours. */
    static final int SWITCH_CAUGHT_UP = 2;
    /** The switch goes ahead without joiners that are not ready this long after the configuration changed. */
    static final Duration JOINER_WAIT = Duration.ofSeconds(20);
    /** The configured-set fingerprint each peer last told us (STATUS). */
    private final Map<Address, Long> peerConfigured = new java.util.concurrent.ConcurrentHashMap<>();
    /** Peers that reported a head close to ours since our configuration last changed. */
    private final Set<Address> caughtUpPeers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile long configuredAt;
    /** The highest height of a consensus message received from each member (0: configured, nothing heard yet). */
    private final Map<Address, Long> lastHeard = new java.util.concurrent.ConcurrentHashMap<>();
    /** Sends our pool to a member whose link just opened (a joining or restarted member), bounded per member. */
    private final PoolGossip poolGossip;
    /** Writes the safety record (tests substitute a failing store). */
    private final RecordWriter safetyWriter;
    /** A safety-record write failed: nothing we signed leaves this process until a write succeeds. */
    private byte[] unsavedSafety;
    private long lastGossipAt;
    /** The last propose timeout scheduled, and when: fired early on a tick if its proposer becomes unreachable. */
    private io.flotilla.chain.consensus.Timeout proposeTimeout;
    private long proposeTimeoutSince;
    private long lastStatusAt;
    private Map<Address, InetSocketAddress> networkMembers = Map.of();
    private volatile long height;
    private volatile long[] retainedPeak = {0, 0};
    private volatile io.flotilla.chain.consensus.ConsensusStatus status;

    /** How the safety record is made durable. */
    interface RecordWriter {
        void save(String name, byte[] value);
    }

    public BftReplica(long chainId, BigInteger nodeKey, ChainState chain, Mempool mempool, TxSubmission submission,
            InetSocketAddress consensusBind, List<Peer> peers, Duration blockTime, Duration heartbeat, BftConfig bft, Clock clock) {
        this(chainId, nodeKey, chain, mempool, submission, consensusBind, peers, blockTime, heartbeat, bft, clock, BftEngineFactory.NAME);
    }

    /** Runs the consensus engine named {@code engine} ({@link KnownEngines}); IllegalArgumentException for an unknown name. */
    public BftReplica(long chainId, BigInteger nodeKey, ChainState chain, Mempool mempool, TxSubmission submission,
            InetSocketAddress consensusBind, List<Peer> peers, Duration blockTime, Duration heartbeat, BftConfig bft, Clock clock,
            String engine) {
        this(chainId, nodeKey, chain, mempool, submission, consensusBind, peers, blockTime, heartbeat, bft, clock, chain::saveRecord,
                SnapshotOptions.DEFAULTS, engine);
    }

    BftReplica(long chainId, BigInteger nodeKey, ChainState chain, Mempool mempool, TxSubmission submission,
            InetSocketAddress consensusBind, List<Peer> peers, Duration blockTime, Duration heartbeat, BftConfig bft, Clock clock,
            RecordWriter safetyWriter) {
        this(chainId, nodeKey, chain, mempool, submission, consensusBind, peers, blockTime, heartbeat, bft, clock, safetyWriter,
                SnapshotOptions.DEFAULTS, BftEngineFactory.NAME);
    }

    BftReplica(long chainId, BigInteger nodeKey, ChainState chain, Mempool mempool, TxSubmission submission,
            InetSocketAddress consensusBind, List<Peer> peers, Duration blockTime, Duration heartbeat, BftConfig bft, Clock clock,
            RecordWriter safetyWriter, String engine) {
        this(chainId, nodeKey, chain, mempool, submission, consensusBind, peers, blockTime, heartbeat, bft, clock, safetyWriter,
                SnapshotOptions.DEFAULTS, engine);
    }

    /**
     * Snapshot sync settings: snapshots every {@code interval} blocks, the last {@code keep} kept, used by a member at
     * least {@code minGap} blocks behind; serving at most {@code peerBytesPerSecond} to one peer and
     * {@code totalBytesPerSecond} to all.
     */
    record SnapshotOptions(int interval, int keep, long minGap, long peerBytesPerSecond, long totalBytesPerSecond) {
        static final SnapshotOptions DEFAULTS = new SnapshotOptions(io.flotilla.chain.snapshot.ChainSnapshots.DEFAULT_INTERVAL,
                io.flotilla.chain.snapshot.ChainSnapshots.DEFAULT_KEEP, SnapshotSync.DEFAULT_MIN_GAP, 8L << 20, 16L << 20);
    }

    BftReplica(long chainId, BigInteger nodeKey, ChainState chain, Mempool mempool, TxSubmission submission,
            InetSocketAddress consensusBind, List<Peer> peers, Duration blockTime, Duration heartbeat, BftConfig bft, Clock clock,
            RecordWriter safetyWriter, SnapshotOptions snapshotOptions) {
        this(chainId, nodeKey, chain, mempool, submission, consensusBind, peers, blockTime, heartbeat, bft, clock, safetyWriter,
                snapshotOptions, BftEngineFactory.NAME);
    }

    BftReplica(long chainId, BigInteger nodeKey, ChainState chain, Mempool mempool, TxSubmission submission,
            InetSocketAddress consensusBind, List<Peer> peers, Duration blockTime, Duration heartbeat, BftConfig bft, Clock clock,
            RecordWriter safetyWriter, SnapshotOptions snapshotOptions, String engine) {
        this.chainId = chainId;
        this.safetyWriter = safetyWriter;
        this.chain = chain;
        this.blockTime = blockTime;
        this.heartbeat = heartbeat;
        this.clock = clock;
        NodeKey key = new NodeKey(nodeKey);
        for (Peer p : peers) endpoints.put(p.address(), p.consensusEndpoint());
        this.membership = new Membership(chain, MemberSet.sorted(endpoints.keySet()));
        this.application = new ChainApplication(chain, mempool, key.address(), membership, blockTime, heartbeat, clock);
        this.engine = KnownEngines.with(bft.withMaxProposalBytes(chain.config().maxBlockBytes())).create(engine,
                new EngineContext(chainId, key, application));
        // Deep EVM call stacks execute on the loop thread (proposals and validation): give it a large stack.
        this.loop = new MessageIntake("bft-loop", 64L << 20);
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("bft-timers").unstarted(r));
        this.poolGossip = new PoolGossip(mempool::snapshot, this::sendPooled, System::currentTimeMillis, PoolGossip.COOLDOWN,
                PoolGossip.BYTES_PER_SECOND, PoolGossip.MAX_BATCH_BYTES);
        this.network = new PeerNetwork(new NodeSigner(nodeKey), chainId, consensusBind, PeerLimits.defaults(),
                (from, bytes) -> onPeerMessage(from, bytes, submission), this::onLinkOpened);
        this.blockServer = new BlockServer(chain, 4L << 20, 8L << 20, network::send);
        this.snapshots = new io.flotilla.chain.snapshot.ChainSnapshots(chain, snapshotOptions.interval(), snapshotOptions.keep());
        this.snapshotServer = new SnapshotServer(snapshots, snapshotOptions.peerBytesPerSecond(), snapshotOptions.totalBytesPerSecond(), network::send);
        this.snapshotSync = new SnapshotSync(chainId, chain, membership, new io.flotilla.chain.snapshot.StagedSink(chain), new SnapshotSync.Host() {
            @Override
            public boolean send(Address peer, byte kind, byte[] body) {
                return network.send(peer, framed(kind, body));
            }

            @Override
            public void installed() {
                snapshots.reindex();
                caughtUpFromPeers();
            }
        }, snapshotOptions.minGap(), clock.millis());
        this.sync = new BlockSync(chainId, chain, membership, new BlockSync.Host() {
            @Override
            public boolean request(Address peer, long from, long to) {
                return network.send(peer, framed(GET_BLOCKS, BlockSync.encodeRange(from, to)));
            }

            @Override
            public void caughtUp() {
                caughtUpFromPeers();
            }
        });
        membership.gateSwitch(this::switchReady);
        // Every transaction a client gives this member is passed on once to every member, so any proposer has it.
        this.gossipTimer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("tx-gossip").unstarted(r));
        this.gossip = new TxGossip(batch -> network.broadcast(framed(TRANSACTIONS, batch)), gossipTimer, 5, 256 << 10);
        submission.onAccepted(tx -> gossip.add(tx.raw()));
        updateNetworkMembers(membership.forHeight(chain.head().number() + 1));
    }

    /** The head moved by catch-up (blocks or a snapshot): forget candidates and start consensus at the new head + 1. */
    private void caughtUpFromPeers() {
        application.forgetCandidates();
        application.markCommitted();
        startHeight(chain.head().number() + 1);
        network.broadcast(statusMessage()); // a joining member tells the others it is ready to decide
    }

    public void start() throws IOException {
        network.start();
        application.markCommitted();
        loop.execute(() -> {
            long next = chain.head().number() + 1;
            Optional<SafetyRecord> resume = chain.record(SAFETY_RECORD).map(SafetyRecord::decode);
            height = next;
            handle(new ConsensusEvent.StartHeight(next, membership.forHeight(next), resume));
        });
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

    /** Members caught signing conflicting messages (each member, round and message kind counted once). */
    public long equivocationsSeen() {
        return equivocations.get();
    }

    /** The most consensus messages (and their accounted bytes) the engine held at once, and the intake's drops. */
    long[] consensusRetainedPeak() {
        return new long[] {retainedPeak[0], retainedPeak[1], loop.dropped()};
    }

    /** The height whose state this replica installed by snapshot sync, or -1. */
    public long snapshotInstalledAt() {
        return snapshotSync.installedAt();
    }

    /** Snapshot sync so far: trie nodes and bytes fetched, nodes known to be missing still, the last install's milliseconds. */
    long[] snapshotProgress() {
        return new long[] {snapshotSync.nodesFetched(), snapshotSync.bytesFetched(), snapshotSync.pendingNodes(), snapshotSync.installMillis()};
    }

    /** Snapshot heights this member keeps, and its server's answers and dropped requests. */
    List<Long> snapshotHeights() {
        return snapshots.heights();
    }

    long[] snapshotServing() {
        long[] s = snapshotServer.served();
        return new long[] {s[0], s[1], snapshotServer.dropped()};
    }

    /** Stops serving blocks below {@code number} (a member whose history starts there). */
    void serveBlocksFrom(long number) {
        oldestServedBlock = number;
    }

    /** Blocks this replica applied by catching up from peers rather than deciding them. */
    public long blocksCaughtUp() {
        return sync.appliedBlocks();
    }

    private void onPeerMessage(Address from, byte[] bytes, TxSubmission submission) {
        if (bytes.length == 0) {
            return;
        }
        byte kind = bytes[0];
        byte[] body = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
        try {
            switch (kind) {
                case TRANSACTION -> admit(List.of(body), body.length, submission);
                case TRANSACTIONS -> admit(TxGossip.decode(body), body.length, submission);
                case CONSENSUS -> {
                    SignedMessage message = MessageCodec.decode(body);
                    lastHeard.merge(from, message.message().height(), Math::max);
                    loop.offer(from, MessageIntake.Lane.CONSENSUS, body.length + 512L, () -> {
                        // A member already deciding a later height shows we are behind: catch up from it.
                        if (message.message().height() > height + 1) behind(from, message.message().height() - 1);
                        handle(new ConsensusEvent.MessageReceived(message));
                    });
                }
                case STATUS -> {
                    long[] st = BlockSync.decodeRange(body);
                    long peerHead = st[0];
                    loop.offer(from, MessageIntake.Lane.OTHER, 64, () -> {
                        long head = chain.head().number();
                        peerConfigured.put(from, st[1]);
                        if (peerHead + SWITCH_CAUGHT_UP >= head) caughtUpPeers.add(from);
                        boolean stale = application.millisSinceCommit() > 2 * blockTime.toMillis() + 1000;
                        if (peerHead >= head + 2 || (peerHead > head && stale)) behind(from, peerHead);
                    });
                }
                case GET_BLOCKS -> {
                    long[] range = BlockSync.decodeRange(body);
                    long to = range[0] < oldestServedBlock ? range[0] - 1 : range[1]; // none: the history starts later
                    blockServer.request(from, range[0], to, BLOCKS); // answered off this reader thread, rate-bounded
                }
                case BLOCKS -> {
                    List<byte[]> blocks = BlockSync.decodeBlocks(body);
                    loop.offer(from, MessageIntake.Lane.OTHER, body.length, () -> {
                        if (snapshotSync.expectsBlocks(from)) snapshotSync.blocks(from, blocks, clock.millis());
                        else sync.received(from, blocks, clock.millis());
                    });
                }
                case GET_SNAPSHOTS, GET_NODES, GET_CODE -> snapshotServer.request(from, kind, body, (byte) (kind + 1)); // off this thread, budgeted
                case SNAPSHOTS -> {
                    List<Long> heights = SnapshotWire.decodeHeights(body);
                    loop.offer(from, MessageIntake.Lane.SNAPSHOT, body.length, () -> snapshotSync.offered(from, heights, clock.millis()));
                }
                case NODES -> loop.offer(from, MessageIntake.Lane.SNAPSHOT, body.length, () -> snapshotSync.nodes(from, body, clock.millis()));
                case CODE -> loop.offer(from, MessageIntake.Lane.SNAPSHOT, body.length, () -> snapshotSync.codes(from, body, clock.millis()));
                default -> LOG.log(System.Logger.Level.DEBUG, "unknown message kind " + kind + " from " + from);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "undecodable message of kind " + kind + " from " + from);
        }
    }

    /** A peer is at {@code peerHead}, ahead of us: catch up by snapshot when far behind, else by replaying blocks. */
    private void behind(Address from, long peerHead) {
        long now = clock.millis();
        if (snapshotSync.handles(peerHead, now)) snapshotSync.peerIsAt(from, peerHead, now);
        else sync.peerIsAt(from, peerHead, now);
    }

    /**
     * Whether the proposer of the timeout's round cannot propose: we have no link with it (killed, or leaving), or
     * it has sent no consensus message for the last {@link #CAUGHT_UP_HEIGHTS} heights although we know of it (a
     * member that joined or restarted and is still catching up). Its round then times out after
     * {@link #UNREACHABLE_PROPOSER_TIMEOUT} instead of the full propose timeout, so one dead member costs the chain
     * well under a second at its turns, not seconds. Timeouts only decide how soon a round is given up, never what is
     * decided, so a wrong guess (a slow but live proposer) costs a round, not safety.
     */
    private boolean proposerUnreachable(io.flotilla.chain.consensus.Timeout t) {
        if (t.height() != chain.head().number() + 1) return false;
        Address proposer = membership.forHeight(t.height()).proposer(t.height(), t.round());
        if (proposer.equals(network.address())) return false;
        if (!network.connectedPeers().contains(proposer)) return true;
        Long heard = lastHeard.get(proposer);
        return heard != null && heard < t.height() - CAUGHT_UP_HEIGHTS;
    }

    /** A proposer that became unreachable after its round's timeout was scheduled (killed meanwhile): time out now. */
    private void giveUpOnUnreachableProposer(long now) {
        io.flotilla.chain.consensus.Timeout t = proposeTimeout;
        io.flotilla.chain.consensus.ConsensusStatus st = status;
        if (t == null || st == null || st.height() != t.height() || st.round() != t.round()
                || st.step() != io.flotilla.chain.consensus.Step.PROPOSE) {
            return;
        }
        if (now - proposeTimeoutSince >= UNREACHABLE_PROPOSER_TIMEOUT.toMillis() && proposerUnreachable(t)) {
            proposeTimeout = null;
            handle(new ConsensusEvent.TimeoutFired(t));
        }
    }

    private void onLinkOpened(Address peer) {
        network.send(peer, statusMessage());
        poolGossip.linkOpened(peer);
    }

    /** Our head and the fingerprint of the set our agent configured. */
    private byte[] statusMessage() {
        return framed(STATUS, BlockSync.encodeRange(chain.head().number(), Membership.fingerprint(membership.configured())));
    }

    /**
     * Whether a proposer may declare {@code next}: every member of {@code current} needed for a quorum told us it is
     * configured with the same set (a member not told yet would refuse the block and the round would fail), and
     * every joining member told us, since the configuration, that its head is within {@link #SWITCH_CAUGHT_UP} of ours
     * (a joiner still downloading blocks cannot propose or vote; after {@link #JOINER_WAIT} we switch without it,
     * so a joiner that never comes cannot hold a leaving member in the set forever). A member lying about its
     * configured set can make a round fail, never decide anything.
     */
    private boolean switchReady(MemberSet current, MemberSet next) {
        long fp = Membership.fingerprint(next);
        int agreeing = 0;
        for (Address a : current.members()) {
            if (a.equals(network.address()) || Long.valueOf(fp).equals(peerConfigured.get(a))) agreeing++;
        }
        if (agreeing < current.quorum()) return false;
        if (clock.millis() - configuredAt >= JOINER_WAIT.toMillis()) return true;
        for (Address a : next.members()) {
            if (!current.members().contains(a) && !caughtUpPeers.contains(a)) return false;
        }
        return true;
    }

    private boolean sendPooled(Address peer, List<io.flotilla.chain.tx.SignedTransaction> batch) {
        return network.send(peer, framed(TRANSACTIONS, TxGossip.encode(batch.stream().map(io.flotilla.chain.tx.SignedTransaction::raw).toList())));
    }

    /** Pooled transactions sent to members whose link opened, and link openings that got none (within the cooldown). */
    public long[] poolGossip() {
        return new long[] {poolGossip.sent(), poolGossip.skipped()};
    }

    /** Pools transactions a peer passed on, off the connection's reader thread, within {@link #MAX_ADMISSION_BYTES}. */
    private void admit(List<byte[]> txs, long bytes, TxSubmission submission) {
        if (admissionBytes.addAndGet(bytes) > MAX_ADMISSION_BYTES) {
            admissionBytes.addAndGet(-bytes); // dropped: the member that has them still proposes them
            return;
        }
        try {
            admission.execute(() -> {
                try {
                    for (byte[] tx : txs) {
                        try {
                            submission.submit(tx, false); // the member that accepted it sent it to every member
                        } catch (SubmissionException | RuntimeException e) {
                            LOG.log(System.Logger.Level.TRACE, "gossiped transaction refused: " + e.getMessage());
                        }
                    }
                } finally {
                    admissionBytes.addAndGet(-bytes);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException full) {
            admissionBytes.addAndGet(-bytes);
        }
    }

    private void startHeight(long next) {
        height = next;
        MemberSet members = membership.forHeight(next);
        updateNetworkMembers(members);
        handle(new ConsensusEvent.StartHeight(next, members));
    }

    /**
     * We talk to the members deciding now and to the ones our agent configured (the next set, during a switch):
     * links to a joining member open, links to one that is neither deciding nor configured close.
     */
    private void updateNetworkMembers(MemberSet deciding) {
        Set<Address> wanted = new HashSet<>(deciding.members());
        wanted.addAll(membership.configured().members());
        Map<Address, InetSocketAddress> reach = new HashMap<>();
        for (Address a : wanted) {
            if (endpoints.containsKey(a)) reach.put(a, endpoints.get(a));
        }
        if (reach.equals(networkMembers)) return;
        networkMembers = Map.copyOf(reach);
        network.setMembers(reach.entrySet().stream().map(e -> new PeerNetwork.Peer(e.getKey(), e.getValue())).toList());
    }

    /**
     * Applies a new configured member set live (our agent rewrote the config file): the next proposals declare it,
     * blocks declaring it are accepted, and the network connects to joining members at once. Members of the set
     * deciding now stay reachable until the chain switches (at the height its headers record). Returns at once; the
     * change is applied on the consensus thread.
     */
    public void reconfigure(List<Peer> peers) {
        Map<Address, InetSocketAddress> next = new HashMap<>();
        for (Peer p : peers) next.put(p.address(), p.consensusEndpoint());
        loop.execute(() -> {
            // Keep the endpoints of members still deciding (they may be absent from the new config until the switch).
            Map<Address, InetSocketAddress> merged = new HashMap<>(next);
            for (Address a : membership.forHeight(chain.head().number() + 1).members()) {
                if (!merged.containsKey(a) && endpoints.containsKey(a)) merged.put(a, endpoints.get(a));
            }
            for (Address a : next.keySet()) {
                if (!endpoints.containsKey(a)) lastHeard.putIfAbsent(a, 0L); // joining: not caught up until it votes
            }
            endpoints.clear();
            endpoints.putAll(merged);
            membership.configure(MemberSet.sorted(next.keySet()));
            configuredAt = clock.millis();
            caughtUpPeers.clear();
            network.broadcast(statusMessage()); // tell the others at once which set our agent configured
            updateNetworkMembers(membership.forHeight(chain.head().number() + 1));
            LOG.log(System.Logger.Level.INFO, "member set configured live: " + membership.configured().members().size() + " members "
                    + membership.configured().members() + "; the chain switches at the height its headers record");
        });
    }

    /** The set our agent configured (the chain switches to it at the height its headers record). */
    public MemberSet configuredMembers() {
        return membership.configured();
    }

    /** The set deciding the height after the head. */
    public MemberSet decidingMembers() {
        return membership.forHeight(chain.head().number() + 1);
    }

    /**
     * The answer of {@code flotilla_health} (docs/chain.md): the head, how long ago it moved, the members deciding
     * now and configured, how many of them are connected, and whether consensus is finalizing: a commit within
     * {@link #finalizingWindowMillis}, or an idle chain (no transaction ready) with a quorum connected and a commit
     * within the heartbeat plus that window.
     */
    public Map<String, Object> health(int pendingTransactions, boolean transactionsReady) {
        io.flotilla.chain.storage.BlockHeader head = chain.head();
        MemberSet deciding = membership.forHeight(head.number() + 1);
        Set<Address> connected = network.connectedPeers();
        int reachable = (int) deciding.members().stream().filter(a -> a.equals(network.address()) || connected.contains(a)).count();
        long age = application.millisSinceCommit();
        long window = finalizingWindowMillis();
        boolean recent = age <= window;
        boolean idle = !transactionsReady && reachable >= deciding.quorum() && age <= heartbeat.toMillis() + window;
        io.flotilla.chain.consensus.ConsensusStatus st = status;
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("head", head.number());
        out.put("headTimestamp", head.timestamp());
        out.put("lastCommitAgeMs", age);
        out.put("height", height);
        out.put("round", st == null ? 0 : st.round());
        out.put("member", deciding.members().contains(network.address()));
        out.put("members", deciding.members().stream().map(Address::toString).toList());
        out.put("configuredMembers", membership.configured().members().stream().map(Address::toString).toList());
        out.put("quorum", deciding.quorum());
        out.put("peersConnected", connected.size());
        out.put("membersReachable", reachable);
        out.put("pendingTransactions", pendingTransactions);
        out.put("finalizing", recent || idle);
        out.put("engine", engine.name());
        out.put("consensusMessagesSent", consensusMessagesSent.get());
        out.put("consensusBytesSent", consensusBytesSent.get());
        return out;
    }

    /** A commit this recent means consensus is finalizing: ten block times, at least 5 s. */
    long finalizingWindowMillis() {
        return Math.max(10 * blockTime.toMillis(), 5_000);
    }

    /** Milliseconds since the head last moved in this process (or since it started). */
    public long millisSinceCommit() {
        return application.millisSinceCommit();
    }

    /**
     * Lets the proposer (and the others' propose timeouts) go once the block time has passed and there is work;
     * re-gossips the height's messages while it is stuck; tells peers our head now and then.
     */
    private void tick() {
        long now = clock.millis();
        long sinceCommit = application.millisSinceCommit();
        boolean work = application.hasWork();
        if (work && (sinceCommit >= blockTime.toMillis() || application.blockFull())) {
            handle(new ConsensusEvent.BlockAvailable(height));
        }
        giveUpOnUnreachableProposer(now);
        boolean busy = work || (status != null && status.round() > 0);
        if (unsavedSafety != null) retrySafetyWrite();
        sync.tick(now);
        snapshotSync.tick(now);
        if (busy && unsavedSafety == null && sinceCommit >= GOSSIP_EVERY.toMillis() && now - lastGossipAt >= GOSSIP_EVERY.toMillis()) {
            lastGossipAt = now;
            for (SignedMessage m : engine.messagesForGossip()) {
                broadcastConsensus(m);
            }
        }
        if (now - lastStatusAt >= STATUS_EVERY.toMillis()) {
            lastStatusAt = now;
            network.broadcast(statusMessage());
        }
    }

    private void handle(ConsensusEvent event) {
        List<Effect> effects;
        io.flotilla.chain.consensus.ConsensusStatus before = status;
        try {
            effects = engine.handle(event);
            status = engine.status();
            if (engine instanceof io.flotilla.chain.consensus.bft.TendermintEngine t) {
                retainedPeak = new long[] {Math.max(retainedPeak[0], t.retainedMessages()), Math.max(retainedPeak[1], t.retainedBytes())};
            } else if (engine instanceof io.flotilla.chain.consensus.hotstuff.HotStuffEngine h) {
                retainedPeak = new long[] {Math.max(retainedPeak[0], h.retainedMessages()), Math.max(retainedPeak[1], h.retainedBytes())};
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "consensus engine failed on " + event.getClass().getSimpleName(), e);
            return;
        }
        for (Effect effect : effects) {
            switch (effect) {
                // Durable before the message it protects leaves this process: when the write fails, nothing we signed
                // is sent (broadcasts and re-gossip) until a write succeeds.
                case Effect.PersistSafety p -> persistSafety(p.record().encode());
                case Effect.Broadcast b -> {
                    if (unsavedSafety == null) broadcastConsensus(b.message());
                }
                case Effect.Send d -> {
                    if (unsavedSafety == null) {
                        byte[] bytes = framed(CONSENSUS, MessageCodec.encode(d.message()));
                        if (network.send(d.to(), bytes)) countSent(1, bytes.length);
                    }
                }
                // Members that execute slow blocks wait longer: twice the slowest recent execution (proposer and us).
                case Effect.ScheduleTimeout t -> {
                    long slack = 2 * application.slowestRecentExecutionMillis();
                    long after = t.after().toMillis() + slack;
                    if (t.timeout().step() == io.flotilla.chain.consensus.Step.PROPOSE) {
                        proposeTimeout = t.timeout();
                        proposeTimeoutSince = clock.millis();
                        // No slack for execution time: a proposer we cannot reach builds nothing we would wait for.
                        if (proposerUnreachable(t.timeout())) after = Math.min(after, UNREACHABLE_PROPOSER_TIMEOUT.toMillis());
                    }
                    timers.schedule(() -> loop.execute(() -> handle(new ConsensusEvent.TimeoutFired(t.timeout()))), after, TimeUnit.MILLISECONDS);
                }
                case Effect.Commit c -> {
                    if (c.certificate().height() != chain.head().number() + 1) {
                        continue; // already applied by catch-up
                    }
                    application.commit(c.block(), c.certificate().encode());
                    startHeight(c.certificate().height() + 1);
                }
                case Effect.ReportEvidence e -> {
                    equivocations.incrementAndGet();
                    LOG.log(System.Logger.Level.WARNING, "equivocation by " + e.evidence().member() + " at height "
                            + e.evidence().first().message().height() + " round " + e.evidence().first().message().round());
                    try {
                        EvidenceLog.keep(chain, e.evidence());
                    } catch (RuntimeException ex) {
                        LOG.log(System.Logger.Level.ERROR, "could not keep equivocation evidence", ex);
                    }
                }
            }
        }
        relayVotesAfterRoundChange(before);
    }

    /**
     * A round of this height failed: relay the height's votes once (ours and the others'), so that every member sees
     * what the others were sent. A member that showed different votes to different members (an equivocator) is then
     * caught by all, and locks cannot be kept apart, even when rounds end at once (a quorum of nil precommits) and the
     * height never waits long enough for the periodic re-gossip. Votes only (a few hundred bytes each), not proposals.
     */
    private void relayVotesAfterRoundChange(io.flotilla.chain.consensus.ConsensusStatus before) {
        io.flotilla.chain.consensus.ConsensusStatus now = status;
        if (before == null || now == null || before.height() != now.height() || now.round() <= before.round() || unsavedSafety != null) return;
        for (SignedMessage m : engine.messagesForGossip()) {
            if (m.message().height() == now.height() && !(m.message() instanceof io.flotilla.chain.consensus.ConsensusMessage.Proposal)) {
                broadcastConsensus(m);
            }
        }
    }

    /** Sends a consensus message to every connected member, counting each copy (bench: messages and bytes per block). */
    private void broadcastConsensus(SignedMessage m) {
        byte[] bytes = framed(CONSENSUS, MessageCodec.encode(m));
        countSent(network.broadcast(bytes), bytes.length);
    }

    private void countSent(int copies, int bytes) {
        consensusMessagesSent.addAndGet(copies);
        consensusBytesSent.addAndGet((long) copies * bytes);
    }

    private void persistSafety(byte[] record) {
        try {
            safetyWriter.save(SAFETY_RECORD, record);
            if (unsavedSafety != null) LOG.log(System.Logger.Level.WARNING, "safety record written again: this member takes part again");
            unsavedSafety = null;
        } catch (RuntimeException e) {
            if (unsavedSafety == null) {
                LOG.log(System.Logger.Level.ERROR, "SAFETY RECORD WRITE FAILED at height " + height
                        + ": this member sends no consensus message until a write succeeds", e);
            }
            unsavedSafety = record;
        }
    }

    /** Retries the last safety record that failed to be written (on the loop thread, every tick). */
    private void retrySafetyWrite() {
        persistSafety(unsavedSafety);
    }

    private static byte[] framed(byte kind, byte[] body) {
        byte[] out = new byte[body.length + 1];
        out[0] = kind;
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    @Override
    public void close() {
        poolGossip.close();
        timers.shutdownNow();
        gossipTimer.shutdownNow();
        admission.shutdownNow();
        blockServer.close();
        snapshotServer.close();
        loop.shutdown();
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        network.close();
    }
}
