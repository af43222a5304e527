package io.flotilla.chain.consensus.sim;

import io.flotilla.chain.consensus.CommitCertificate;
import io.flotilla.chain.consensus.Effect;
import io.flotilla.chain.consensus.MemberSet;
import io.flotilla.chain.consensus.NodeKey;
import io.flotilla.chain.consensus.SignedMessage;
import io.flotilla.chain.consensus.bft.BftConfig;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.crypto.Secp256k1;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import java.util.function.Predicate;

/**
 * N replicas on a simulated network and clock. Everything random comes from the seed, so a
 * failing seed replays exactly.
 */
public final class Cluster {
    public static final long CHAIN_ID = 777;
    public static final long GOSSIP_INTERVAL_MS = 2_000;

    private final SimScheduler scheduler = new SimScheduler();
    private final SimNetwork network;
    private final List<Replica> replicas = new ArrayList<>();
    private final BftConfig config;
    private final String engine;
    private LongFunction<MemberSet> membership;

    public Cluster(int n, long seed, long minDelayMs, long maxDelayMs, double dropRate) {
        this("bft", n, seed, minDelayMs, maxDelayMs, dropRate);
    }

    /** Replicas running the engine named {@code engine} ({@link io.flotilla.chain.consensus.KnownEngines}). */
    public Cluster(String engine, int n, long seed, long minDelayMs, long maxDelayMs, double dropRate) {
        this.engine = engine;
        this.network = new SimNetwork(scheduler, seed, n, minDelayMs, maxDelayMs, dropRate);
        this.config = BftConfig.withTimeouts(Duration.ofMillis(1_000), Duration.ofMillis(500));
        for (int i = 0; i < n; i++) replicas.add(new Replica(i, key(i), this));
        MemberSet all = new MemberSet(replicas.stream().map(r -> r.key().address()).toList());
        this.membership = h -> all;
    }

    /** A healthy LAN-ish network: 10-200 ms delays, no loss. */
    public Cluster(int n, long seed) {
        this(n, seed, 10, 200, 0.0);
    }

    public Cluster(String engine, int n, long seed) {
        this(engine, n, seed, 10, 200, 0.0);
    }

    public String engine() {
        return engine;
    }

    /** The replica whose key has this address. */
    public int indexOf(Address a) {
        for (Replica r : replicas) if (r.key().address().equals(a)) return r.index();
        throw new IllegalArgumentException("no replica " + a);
    }

    /** Deterministic node keys, the same in every run. */
    public static NodeKey key(int i) {
        byte[] h = Keccak.hash(("flotilla-sim-node-" + i).getBytes(StandardCharsets.UTF_8));
        return new NodeKey(new BigInteger(1, h).mod(Secp256k1.N.subtract(BigInteger.ONE)).add(BigInteger.ONE));
    }

    public static Address address(int i) {
        return key(i).address();
    }

    /** Which members decide which height; must be set before {@link #start}. */
    public void setMembership(LongFunction<MemberSet> membership) {
        this.membership = membership;
    }

    public MemberSet membersAt(long height) {
        return membership.apply(height);
    }

    public void start() {
        for (Replica r : replicas) {
            if (!r.crashed()) r.start(1);
            scheduleTicks(r);
        }
    }

    private void scheduleTicks(Replica r) {
        scheduler.after(GOSSIP_INTERVAL_MS, () -> {
            r.tick();
            scheduleTicks(r);
        });
    }

    public void runFor(long millis) {
        scheduler.runUntil(scheduler.now() + millis);
    }

    /** Runs until {@code done} holds; false if simulated {@code maxMillis} passed first. */
    public boolean runUntil(BooleanSupplier done, long maxMillis) {
        scheduler.runUntil(scheduler.now() + maxMillis, done);
        return done.getAsBoolean();
    }

    public boolean allCommitted(List<Replica> rs, long height) {
        return rs.stream().allMatch(r -> r.lastCommitted() >= height);
    }

    public List<Replica> live() {
        return replicas.stream().filter(Predicate.not(Replica::crashed)).toList();
    }

    public void sendToAll(int from, SignedMessage m) {
        for (int to = 0; to < replicas.size(); to++) if (to != from) sendTo(from, to, m);
    }

    public void sendTo(int from, int to, SignedMessage m) {
        network.send(from, to, t -> replicas.get(t).deliver(m));
    }

    /**
     * The safety property: no two of {@code rs} hold different blocks at any height, and every
     * held block carries a certificate valid for that height's member set.
     */
    public void assertAgreementAndCertificates(List<Replica> rs) {
        for (Replica a : rs) {
            for (Map.Entry<Long, Effect.Commit> e : a.commits().entrySet()) {
                long h = e.getKey();
                Effect.Commit c = e.getValue();
                if (!CommitCertificate.verify(c.certificate(), membersAt(h), CHAIN_ID)) {
                    throw new AssertionError(a + " holds an invalid certificate at height " + h + ": "
                            + CommitCertificate.problem(c.certificate(), membersAt(h), CHAIN_ID));
                }
                if (!c.certificate().blockHash().equals(c.block().hash())) {
                    throw new AssertionError("certificate names another block at " + h);
                }
                for (Replica b : rs) {
                    Effect.Commit other = b.commits().get(h);
                    if (other != null && !other.block().equals(c.block())) {
                        throw new AssertionError("DISAGREEMENT at height " + h + ": " + a + " vs " + b);
                    }
                }
            }
        }
    }

    public List<Replica> replicas() {
        return replicas;
    }

    public Replica replica(int i) {
        return replicas.get(i);
    }

    public int size() {
        return replicas.size();
    }

    public SimNetwork network() {
        return network;
    }

    public SimScheduler scheduler() {
        return scheduler;
    }

    public long chainId() {
        return CHAIN_ID;
    }

    public BftConfig config() {
        return config;
    }
}
