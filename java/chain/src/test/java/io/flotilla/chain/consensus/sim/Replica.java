package io.flotilla.chain.consensus.sim;

import io.flotilla.chain.consensus.CommitCertificate;
import io.flotilla.chain.consensus.ConsensusEngine;
import io.flotilla.chain.consensus.ConsensusEvent;
import io.flotilla.chain.consensus.Effect;
import io.flotilla.chain.consensus.Equivocation;
import io.flotilla.chain.consensus.NodeKey;
import io.flotilla.chain.consensus.SafetyRecord;
import io.flotilla.chain.consensus.SignedMessage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** One simulated node: an engine plus the adapter duties (network, timer, applying commits). */
public final class Replica {
    private final int index;
    private final NodeKey key;
    private final SimApplication app;
    private final Cluster cluster;
    private Behaviour behaviour = Behaviour.HONEST;
    private ConsensusEngine engine;
    private boolean crashed;
    private boolean syncEnabled;
    private int epoch; // bumps on restart so the old engine's timers die with it
    private long lastTickHeight = -1;
    /** How long after deciding height h-1 this node starts height h (it learns of the result late). */
    private java.util.function.LongUnaryOperator startDelay = h -> 0;
    private final TreeMap<Long, Effect.Commit> commits = new TreeMap<>();
    private final Set<Long> ownDecisions = new HashSet<>();
    private final List<Equivocation> evidence = new ArrayList<>();
    private final List<SignedMessage> sent = new ArrayList<>();
    /** What the node wrote durably before signing (survives crashes, like the real node's RocksDB record). */
    private SafetyRecord safety;

    Replica(int index, NodeKey key, Cluster cluster) {
        this.index = index;
        this.key = key;
        this.cluster = cluster;
        this.app = new SimApplication("node" + index);
        this.engine = newEngine();
    }

    private ConsensusEngine newEngine() {
        return io.flotilla.chain.consensus.KnownEngines.with(cluster.config()).create(cluster.engine(),
                new io.flotilla.chain.consensus.EngineContext(cluster.chainId(), key, app));
    }

    public int index() {
        return index;
    }

    public NodeKey key() {
        return key;
    }

    public SimApplication app() {
        return app;
    }

    public ConsensusEngine engine() {
        return engine;
    }

    /** Makes the node start height h only {@code delay(h)} ms after deciding h-1, as if it applied the block late. */
    public void setStartDelay(java.util.function.LongUnaryOperator delay) {
        this.startDelay = delay;
    }

    public void setBehaviour(Behaviour behaviour) {
        this.behaviour = behaviour;
    }

    /** Lets this node fetch certified blocks from a peer when it finds itself stuck (block sync stand-in). */
    public void enableSync() {
        this.syncEnabled = true;
    }

    public NavigableMap<Long, Effect.Commit> commits() {
        return commits;
    }

    /** Heights this node's own engine decided, as opposed to fetched by sync. */
    public Set<Long> ownDecisions() {
        return ownDecisions;
    }

    public List<Equivocation> evidence() {
        return evidence;
    }

    public List<SignedMessage> sent() {
        return sent;
    }

    public boolean crashed() {
        return crashed;
    }

    public long lastCommitted() {
        return commits.isEmpty() ? 0 : commits.lastKey();
    }

    public void crash() {
        crashed = true;
    }

    /** Comes back with a fresh engine and its persisted safety record, and syncs blocks from a peer. */
    public void restart() {
        crashed = false;
        epoch++;
        engine = newEngine();
        lastTickHeight = -1;
        fetchFromPeers();
        long height = lastCommitted() + 1;
        handle(new ConsensusEvent.StartHeight(height, cluster.membersAt(height), Optional.ofNullable(safety)));
    }

    void start(long height) {
        handle(new ConsensusEvent.StartHeight(height, cluster.membersAt(height)));
    }

    void deliver(SignedMessage m) {
        if (crashed) return;
        behaviour.observe(m);
        handle(new ConsensusEvent.MessageReceived(m));
    }

    /** Periodic: when the height did not advance since the last tick, re-send our messages (and sync if allowed). */
    void tick() {
        if (crashed) return;
        long height = engine.status().height();
        if (height == lastTickHeight) {
            for (SignedMessage m : engine.messagesForGossip()) cluster.sendToAll(index, m);
            if (syncEnabled) syncFromPeers();
        }
        lastTickHeight = engine.status().height();
    }

    private void handle(ConsensusEvent event) {
        apply(engine.handle(event));
    }

    private void apply(List<Effect> effects) {
        for (Effect e : effects) {
            switch (e) {
                case Effect.PersistSafety p -> safety = p.record();
                case Effect.Broadcast b -> {
                    sent.add(b.message());
                    behaviour.broadcast(this, b.message(), cluster);
                }
                case Effect.Send d -> {
                    sent.add(d.message());
                    behaviour.send(this, d.to(), d.message(), cluster);
                }
                case Effect.ScheduleTimeout t -> {
                    int myEpoch = epoch;
                    cluster.scheduler().after(t.after().toMillis(), () -> {
                        if (!crashed && myEpoch == epoch) handle(new ConsensusEvent.TimeoutFired(t.timeout()));
                    });
                }
                case Effect.Commit c -> {
                    long h = c.certificate().height();
                    commits.put(h, c);
                    ownDecisions.add(h);
                    int myEpoch = epoch;
                    // The real node applies the block first; here applying is instantaneous.
                    cluster.scheduler().after(startDelay.applyAsLong(h + 1), () -> {
                        if (!crashed && myEpoch == epoch && engine.status().height() == h) start(h + 1);
                    });
                }
                case Effect.ReportEvidence ev -> evidence.add(ev.evidence());
            }
        }
    }

    private void syncFromPeers() {
        if (fetchFromPeers()) start(lastCommitted() + 1);
    }

    /**
     * Copies certified blocks beyond our tip and current height from the most advanced live peer,
     * checking every certificate. True if it fetched any.
     */
    private boolean fetchFromPeers() {
        Replica best = null;
        for (Replica r : cluster.replicas()) {
            if (r != this && !r.crashed && (best == null || r.lastCommitted() > best.lastCommitted())) best = r;
        }
        if (best == null) return false;
        long current = engine.status().height();
        boolean behind = best.lastCommitted() >= Math.max(current, lastCommitted() + 1);
        if (!behind) return false;
        for (Map.Entry<Long, Effect.Commit> e : best.commits.tailMap(lastCommitted(), false).entrySet()) {
            CommitCertificate cert = e.getValue().certificate();
            if (!CommitCertificate.verify(cert, cluster.membersAt(e.getKey()), cluster.chainId())) {
                throw new AssertionError("peer served a block with an invalid certificate at " + e.getKey());
            }
            commits.put(e.getKey(), e.getValue());
        }
        return true;
    }

    @Override
    public String toString() {
        return "Replica" + index + (crashed ? "(crashed)" : "") + " " + engine.status() + " tip=" + lastCommitted();
    }
}
