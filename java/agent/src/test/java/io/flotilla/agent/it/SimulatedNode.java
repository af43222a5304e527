package io.flotilla.agent.it;

import io.flotilla.agent.config.AgentSettings;
import io.flotilla.agent.reconcile.Reconciler;
import io.flotilla.agent.reconcile.ReconcilerFactory;
import io.flotilla.agent.runtime.ContainerRuntime;
import io.flotilla.agent.status.AgentStatus;
import io.flotilla.manager.ManagerClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.WalletUtils;

/**
 * One node of an integration test: its own validator (a funded Hardhat account), a fresh node key in an encrypted
 * keystore, its own loopback address and data directory, and an agent reconciler built exactly as the service
 * builds it. {@link #restartAgent()} throws the agent's memory away, as a killed and restarted agent would.
 */
public final class SimulatedNode {

    public final String ip;
    public final int basePort;
    public final Credentials key;
    public final ManagerClient client;
    public final AgentSettings settings;
    public final long id;
    private final TestNetwork network;
    private final ContainerRuntime runtime;
    public AgentStatus status;
    public Reconciler agent;
    /** The current agent's metrics. */
    public SimpleMeterRegistry metrics;

    public SimulatedNode(TestNetwork network, ContainerRuntime runtime, int index, Credentials validatorKey, Duration volumeGrace)
            throws Exception {
        this(network, runtime, index, validatorKey, volumeGrace, Duration.ofSeconds(1));
    }

    public SimulatedNode(TestNetwork network, ContainerRuntime runtime, int index, Credentials validatorKey, Duration volumeGrace,
            Duration livenessThreshold) throws Exception {
        this.network = network;
        this.runtime = runtime;
        this.ip = "127.0.0." + (20 + index);
        this.basePort = 21000;
        Path dir = Files.createDirectories(network.work.resolve("node-" + index));
        ECKeyPair pair = Keys.createEcKeyPair();
        Path password = Files.writeString(dir.resolve("password"), "secret-" + index);
        String keystoreName = WalletUtils.generateWalletFile("secret-" + index, pair, dir.toFile(), false);
        this.key = Credentials.create(pair);
        this.settings = new AgentSettings(network.rpcUrl, network.bookFile, dir.resolve(keystoreName), password, ip, basePort,
                new AgentSettings.Capacity(4000, 4096, 20), new AgentSettings.Capacity(500, 512, 1), "unix:///var/run/docker.sock",
                dir.resolve("data"), Duration.ofMillis(200), Duration.ofSeconds(30), volumeGrace, Duration.ofSeconds(10),
                livenessThreshold, uidBase(index), "flotilla_it_" + index);
        // A table left by an interrupted run of this node would hold stale rules for the same uids.
        ReconcilerFactory.isolation(settings).removeAll();

        ManagerClient validator = network.client(validatorKey);
        validator.registerValidator("validator-" + index, 100, network.ether(2));
        validator.linkNodeAddress(validator.validatorIdOf(validatorKey.getAddress()), key);
        validator.sendEther(key.getAddress(), network.ether(1));
        this.client = network.client(key);
        this.id = client.createNode("node-" + index, ip, basePort, "node-" + index + ".test", 4000, 4096, 20);
        // As `./flotilla node register` does: the consensus key is registered with the node.
        client.setConsensusKey(id, io.flotilla.agent.node.ConsensusKey.loadOrCreate(settings.dataDir()).credentials());
        restartAgent();
    }

    /** Subnode uids of test node {@code index}: its own 128 (nodes of one host need disjoint ranges). */
    public static int uidBase(int index) {
        return 300_000 + 1000 * index;
    }

    /** The uid the subnode in {@code slot} of this node runs as. */
    public int uidOf(int slot) {
        return settings.subnodeUidBase() + slot;
    }

    /** Removes this node's firewall table and unmounts and deletes its volume images (after its containers are gone). */
    public void removeIsolation() {
        ReconcilerFactory.isolation(settings).removeAll();
    }

    /** A fresh agent process: no memory of restarts, orphaned volumes or previous passes. */
    public void restartAgent() {
        restartAgent(settings);
    }

    /** A fresh agent process started with other settings (same key and data directory). */
    public void restartAgent(AgentSettings with) {
        this.status = new AgentStatus();
        this.metrics = new SimpleMeterRegistry();
        this.agent = ReconcilerFactory.create(with, client, runtime, status, metrics, Clock.systemUTC());
    }

    /** A fresh agent with another restart stagger and image rollout policy (the rollout test's short timings). */
    public void restartAgent(Duration stagger, io.flotilla.agent.plan.Rollout.Policy rollout) {
        this.status = new AgentStatus();
        this.metrics = new SimpleMeterRegistry();
        this.agent = ReconcilerFactory.create(settings, client, runtime, status, metrics, Clock.systemUTC(), stagger, rollout);
    }

    /** A liveness prober as the service builds it, sending reports through {@code reporter}. */
    public io.flotilla.agent.liveness.PeerProber prober(io.flotilla.agent.liveness.PeerProber.Policy policy,
            java.util.concurrent.Executor reporter) {
        return new io.flotilla.agent.liveness.PeerProber(client, new io.flotilla.agent.liveness.SubnodeRpc(), policy, Clock.systemUTC(),
                new SimpleMeterRegistry(), reporter);
    }

    /** The agent's production loop for this node (all its tasks), not started, with the service's liveness policy. */
    public io.flotilla.agent.reconcile.ReconcileLoop loop(Duration poll, Duration resync, java.util.concurrent.Executor reporter) {
        return loop(poll, resync, io.flotilla.agent.liveness.PeerProber.Policy.withGrace(settings.livenessThreshold()), reporter);
    }

    public io.flotilla.agent.reconcile.ReconcileLoop loop(Duration poll, Duration resync, io.flotilla.agent.liveness.PeerProber.Policy policy,
            java.util.concurrent.Executor reporter) {
        var events = new io.flotilla.agent.reconcile.EventWatcher(network.web3j, network.book, client,
                new io.flotilla.agent.state.AgentStateStore(settings.dataDir()), io.flotilla.manager.ManagerEvents.DEFAULT_MAX_RANGE);
        return new io.flotilla.agent.reconcile.ReconcileLoop(agent, events, runtime, prober(policy, reporter), status,
                new SimpleMeterRegistry(), poll, resync);
    }

    public Path configOf(String chainName) {
        return settings.dataDir().resolve("subnodes").resolve(io.flotilla.agent.plan.Names.container(network.book.networkId(), chainName, id)).resolve("config.json");
    }

    public TestNetwork network() {
        return network;
    }
}
