package io.flotilla.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.agent.config.AgentSettings;
import io.flotilla.agent.plan.Action;
import io.flotilla.agent.plan.Names;
import io.flotilla.agent.reconcile.ReconcileLoop;
import io.flotilla.agent.reconcile.Reconciler;
import io.flotilla.agent.reconcile.ReconcilerFactory;
import io.flotilla.agent.runtime.ContainerSpec;
import io.flotilla.agent.runtime.DockerContainerRuntime;
import io.flotilla.agent.runtime.ObservedContainer;
import io.flotilla.agent.runtime.ObservedContainer.ContainerState;
import io.flotilla.agent.runtime.ResourceLimits;
import io.flotilla.agent.status.AgentStatus;
import io.flotilla.manager.ManagerClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The agent's production loop (all its tasks) on four nodes against a Hardhat node and the Docker engine, with the
 * stand-in subnode: what happens when a subnode is killed, when the Ethereum endpoint is down, when a config cannot
 * be written, when a stray container carries this node's label, and when dockerd itself restarts (last: it stops
 * every container on the machine).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class AgentResilienceTest {

    /** Longer than the worst restart here: a peer killed and restarted must never be reported. */
    private static final Duration GRACE = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestNetwork network;
    private DockerContainerRuntime runtime;
    private final List<SimulatedNode> nodes = new ArrayList<>();
    private final Map<Long, ReconcileLoop> loops = new HashMap<>();
    private final List<String> strays = new ArrayList<>();
    private ManagerClient developer;
    private long chain;

    @BeforeAll
    void start() throws Exception {
        runtime = new DockerContainerRuntime("unix:///var/run/docker.sock");
        assertThat(runtime.ping()).as("a Docker engine must answer on /var/run/docker.sock (./flotilla starts one)").isTrue();
        network = TestNetwork.start();
        developer = network.client(TestNetwork.account(9));
        for (int i = 1; i <= 4; i++) {
            SimulatedNode node = new SimulatedNode(network, runtime, 60 + i, TestNetwork.account(i), Duration.ofHours(1), GRACE);
            nodes.add(node);
            startLoop(node);
        }
    }

    private void startLoop(SimulatedNode node) {
        // No join allowance: the chain is created during the test, and its peers must be judged from the start.
        ReconcileLoop loop = node.loop(Duration.ofMillis(300), Duration.ofSeconds(5),
                new io.flotilla.agent.liveness.PeerProber.Policy(GRACE, Duration.ZERO, 10, 3_000_000), Runnable::run);
        loop.start();
        loops.put(node.id, loop);
    }

    @AfterAll
    void stop() throws Exception {
        loops.values().forEach(ReconcileLoop::close);
        for (String id : strays) {
            runtime.removeContainer(id);
        }
        for (SimulatedNode node : nodes) {
            for (ObservedContainer c : runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id))) {
                runtime.removeContainer(c.id());
            }
            runtime.listVolumes(Names.nodeSelector(network.book.networkId(), node.id)).forEach(v -> runtime.removeVolume(v.name()));
            node.removeIsolation();
        }
        if (network != null) {
            network.close();
        }
        if (runtime != null) {
            runtime.close();
        }
    }

    @Test
    @Order(1)
    void theLoopsStartAChainOnItsFourMembers() {
        chain = developer.createSidechain("resil", "dev4", Duration.ofDays(1), "bft", TestNetwork.STANDIN_VERSION);
        await("four running subnodes", Duration.ofSeconds(30), () -> running().size() == 4);
    }

    @Test
    @Order(2)
    void aSubnodeKilledWithSigkillRunsAgainWithinTwoSecondsAndItsPeersDoNotReportIt() throws Exception {
        ObservedContainer victim = containers().getFirst();
        Instant killed = Instant.now();
        TestNetwork.run(network.root, Map.of(), "docker", "kill", "--signal", "KILL", victim.id());
        Instant back = null;
        while (Duration.between(killed, Instant.now()).compareTo(Duration.ofSeconds(5)) < 0) {
            ObservedContainer c = runtime.listContainers(Map.of(Names.LABEL_CHAIN, Long.toString(chain))).stream()
                    .filter(x -> x.id().equals(victim.id())).findFirst().orElseThrow();
            if (c.state() == ContainerState.RUNNING && c.startedAt() != null && c.startedAt().isAfter(killed)) {
                back = Instant.now();
                break;
            }
            Thread.sleep(50);
        }
        assertThat(back).as("the killed subnode runs again").isNotNull();
        assertThat(Duration.between(killed, back)).isLessThanOrEqualTo(Duration.ofSeconds(2));
        // Its peers probe every 5 s; the grace period outlasts the restart, so nobody reports it.
        TestNetwork.pause(GRACE.plusSeconds(6));
        assertThat(developer.rotationsOf(chain)).isEmpty();
        assertThat(developer.chain(chain).members()).hasSize(4);
        long node = Long.parseLong(victim.labels().get(Names.LABEL_NODE));
        assertThat(developer.node(node).incompliant()).isFalse();
    }

    @Test
    @Order(3)
    void withTheEthereumEndpointDownFromTheStartARestartedAgentKeepsItsSubnodesRunning() throws Exception {
        SimulatedNode node = nodes.get(1);
        loops.remove(node.id).close();
        int dead;
        try (ServerSocket socket = new ServerSocket(0)) {
            dead = socket.getLocalPort();
        }
        // A fresh agent process (no memory) whose Ethereum endpoint does not answer; only its data directory is left.
        AgentSettings offline = withRpc(node.settings, "http://127.0.0.1:" + dead);
        org.web3j.protocol.Web3j offlineWeb3j = org.web3j.protocol.Web3j.build(new org.web3j.protocol.http.HttpService(offline.managerRpcUrl()));
        ManagerClient offlineClient = new ManagerClient(offlineWeb3j, node.key, network.book);
        AgentStatus status = new AgentStatus();
        Reconciler agent = ReconcilerFactory.create(offline, offlineClient, runtime, status, new SimpleMeterRegistry(), Clock.systemUTC());
        var events = new io.flotilla.agent.reconcile.EventWatcher(offlineWeb3j, network.book, offlineClient,
                new io.flotilla.agent.state.AgentStateStore(offline.dataDir()), 1000);
        var prober = new io.flotilla.agent.liveness.PeerProber(offlineClient, new io.flotilla.agent.liveness.SubnodeRpc(),
                new io.flotilla.agent.liveness.PeerProber.Policy(GRACE, Duration.ZERO, 10, 3_000_000), Clock.systemUTC(),
                new SimpleMeterRegistry(), Runnable::run);
        ReconcileLoop loop = new ReconcileLoop(agent, events, runtime, prober, status, new SimpleMeterRegistry(), Duration.ofMillis(300),
                Duration.ofSeconds(5));
        loop.start();
        try {
            await("the offline agent says why it is degraded", Duration.ofSeconds(10),
                    () -> status.snapshot().problems().stream().anyMatch(p -> p.startsWith("manager RPC") && p.contains("keeping the existing subnodes running")));
            ObservedContainer mine = runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id)).getFirst();
            Instant killed = Instant.now();
            TestNetwork.run(network.root, Map.of(), "docker", "kill", mine.id());
            await("the subnode runs again while Ethereum is down", Duration.ofSeconds(2), () -> runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id))
                    .stream().anyMatch(c -> c.id().equals(mine.id()) && c.state() == ContainerState.RUNNING && c.startedAt().isAfter(killed)));
            assertThat(status.taskProblems()).containsKey("events");
        } finally {
            loop.close();
            offlineWeb3j.shutdown();
        }
        startLoop(node);
    }

    @Test
    @Order(4)
    void aConfigThatCannotBeWrittenIsReportedAndNoContainerIsRecreatedOverIt() throws Exception {
        SimulatedNode node = nodes.get(2);
        loops.remove(node.id).close();
        ObservedContainer before = runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id)).getFirst();
        Path config = node.configOf("resil");
        String good = Files.readString(config);
        // A directory where the file should be: every write of the config fails.
        Files.delete(config);
        Files.createDirectory(config);
        // New limits (a resize, or a bigger declared capacity) are applied in place; the unwritable config fails its
        // step and nothing is recreated over it.
        AgentSettings bigger = withCapacity(node.settings, new AgentSettings.Capacity(8000, 8192, 20));
        node.restartAgent(bigger);
        Reconciler agent = node.agent;
        AgentStatus status = node.status;
        List<Action> applied = agent.reconcile();
        assertThat(applied).noneMatch(a -> a instanceof Action.RecreateContainer || a instanceof Action.WriteConfig);
        ObservedContainer after = runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id)).getFirst();
        assertThat(after.id()).isEqualTo(before.id());
        assertThat(after.labels().get(Names.LABEL_PROCESS_HASH)).isEqualTo(before.labels().get(Names.LABEL_PROCESS_HASH));
        assertThat(after.state()).isEqualTo(ContainerState.RUNNING);
        assertThat(status.snapshot().health()).isEqualTo(AgentStatus.Health.DEGRADED);
        assertThat(status.snapshot().problems()).anyMatch(p -> p.contains("WriteConfig failed") && p.contains(Names.container(network.book.networkId(), "resil", node.id)));
        // Repaired: the next pass writes the config; the same container goes on, with the new limits.
        Files.delete(config);
        agent.reconcile();
        assertThat(config).isRegularFile();
        assertThat(Files.readString(config)).as("limits are not in the file, only in Docker").isEqualTo(good);
        assertThat(agent.reconcile()).as("nothing left to do").isEmpty();
        ObservedContainer repaired = runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id)).getFirst();
        assertThat(repaired.id()).isEqualTo(before.id());
        assertThat(repaired.state()).isEqualTo(ContainerState.RUNNING);
        assertThat(status.snapshot().health()).isEqualTo(AgentStatus.Health.OK);
        startLoop(node); // the node goes on with the new limits
    }

    @Test
    @Order(5)
    void aStrayContainerLabelledForAnUnknownChainIsReportedAndLeftAlone() throws Exception {
        SimulatedNode node = nodes.get(3);
        String image = network.standinImageId;
        Map<String, String> labels = Map.of(Names.LABEL_MANAGED, "true", Names.LABEL_NETWORK, network.book.networkId(), Names.LABEL_NODE, Long.toString(node.id), Names.LABEL_CHAIN, "999",
                Names.LABEL_CHAIN_NAME, "ghost");
        String id = runtime.createContainer(new ContainerSpec(Names.container(network.book.networkId(), "ghost", node.id), image, labels, List.of(), Map.of(), "65534:65534",
                new ResourceLimits(10_000, 100_000, 2, 64L << 20, 32), null, null, null, null, Map.of("/tmp", "rw,size=1m")));
        strays.add(id);
        runtime.startContainer(id); // exits at once: the stand-in finds no config
        loops.get(node.id).requestReconcile();
        await("the stray container is reported", Duration.ofSeconds(15),
                () -> node.status.snapshot().notices().stream().anyMatch(n -> n.contains(Names.container(network.book.networkId(), "ghost", node.id)) && n.contains("999")));
        TestNetwork.pause(Duration.ofSeconds(6)); // a resync and a few restart passes
        assertThat(runtime.listContainers(Map.of(Names.LABEL_CHAIN, "999"))).singleElement()
                .matches(c -> c.id().equals(id) && c.state() == ContainerState.EXITED, "still there, never restarted");
        assertThat(node.status.snapshot().health()).isEqualTo(AgentStatus.Health.OK);
        assertThat(running().size()).isEqualTo(4);
    }

    /**
     * Every other test here runs the agent as root: this one runs the whole service (every task, the HTTP API) as an
     * ordinary user in the Docker socket's group, and checks it does its work: it reports healthy, restarts its killed
     * subnode and rewrites a lost config file, owned by that user.
     */
    @Test
    @Order(6)
    void theAgentServiceRunAsAnOrdinaryUserReconcilesItsNode() throws Exception {
        SimulatedNode node = nodes.get(2);
        loops.remove(node.id).close();
        ObservedContainer subnode = runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id)).getFirst();
        int apiPort = 18080;
        try (NonRootAgent agent = NonRootAgent.start(network.work, node.settings, apiPort)) {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.URI health = java.net.URI.create("http://" + node.ip + ":" + apiPort + "/actuator/health");
            await("the non-root agent answers UP", Duration.ofSeconds(90), () -> {
                assertThat(agent.alive()).as("the agent process runs (log: %s)", agent.log).isTrue();
                try {
                    var answer = http.send(java.net.http.HttpRequest.newBuilder(health).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    return answer.statusCode() == 200 && answer.body().contains("\"UP\"");
                } catch (java.io.IOException e) {
                    return false;
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(agent.uid()).isEqualTo(NonRootAgent.UID);

            Instant killed = Instant.now();
            TestNetwork.run(network.root, Map.of(), "docker", "kill", "--signal", "KILL", subnode.id());
            await("the non-root agent restarts its killed subnode", Duration.ofSeconds(10), () -> runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id))
                    .stream().anyMatch(c -> c.state() == ContainerState.RUNNING && c.startedAt() != null && c.startedAt().isAfter(killed)));

            Path config = node.settings.dataDir().resolve("subnodes").resolve(subnode.name()).resolve("config.json");
            assertThat(config).isRegularFile();
            Files.delete(config);
            await("the non-root agent writes the lost config again", Duration.ofSeconds(45), () -> Files.isRegularFile(config));
            assertThat((Integer) Files.getAttribute(config, "unix:uid")).isEqualTo(NonRootAgent.UID);
            assertThat(Files.readString(config)).contains("\"members\"");
        }
        startLoop(node); // root again, for the tests after this one
    }

    /**
     * Restarts the machine's dockerd. A restart the agent fires on the "die" events of dockerd's own shutdown can leave
     * containerd holding a stale task, and the restarted engine then refuses to start that container; the agent
     * replaces such a container (volume kept), so the subnodes are the same members with the same data, perhaps in new
     * containers.
     */
    @Test
    @Order(100)
    void afterDockerdRestartsEverySubnodeIsBackWithinTenSeconds() throws Exception {
        Map<String, String> before = volumesByNode();
        assertThat(before).hasSize(4);
        Instant up = DockerDaemon.restart(network.root);
        await("every subnode running again within 10 s of dockerd answering", Duration.ofSeconds(10), () -> {
            try {
                List<ObservedContainer> now = containers();
                return now.size() == 4 && now.stream().allMatch(c -> c.state() == ContainerState.RUNNING && c.startedAt().isAfter(up.minusSeconds(1)));
            } catch (RuntimeException e) {
                return false;
            }
        });
        assertThat(volumesByNode()).as("the same members (by container name, which fixes the data volume)").isEqualTo(before);
    }

    private Map<String, String> volumesByNode() {
        // The container name is derived from the chain and the node, as is the volume the spec mounts.
        return containers().stream().collect(Collectors.toMap(c -> c.labels().get(Names.LABEL_NODE), ObservedContainer::name));
    }

    // ------------------------------------------------------------------ helpers

    private List<ObservedContainer> containers() {
        return runtime.listContainers(Map.of(Names.LABEL_MANAGED, "true", Names.LABEL_NETWORK, network.book.networkId(), Names.LABEL_CHAIN, Long.toString(chain)));
    }

    private Set<Long> running() {
        return containers().stream().filter(c -> c.state() == ContainerState.RUNNING)
                .map(c -> Long.parseLong(c.labels().get(Names.LABEL_NODE))).collect(Collectors.toSet());
    }

    private static AgentSettings withRpc(AgentSettings s, String url) {
        return new AgentSettings(url, s.addressBook(), s.keystore(), s.passwordFile(), s.ip(), s.basePort(), s.capacity(), s.reserve(),
                s.dockerHost(), s.dataDir(), s.pollInterval(), s.resyncInterval(), s.volumeGracePeriod(), s.restartMaxDelay(),
                s.livenessThreshold(), s.subnodeUidBase(), s.firewallTable());
    }

    private static AgentSettings withCapacity(AgentSettings s, AgentSettings.Capacity capacity) {
        return new AgentSettings(s.managerRpcUrl(), s.addressBook(), s.keystore(), s.passwordFile(), s.ip(), s.basePort(), capacity,
                s.reserve(), s.dockerHost(), s.dataDir(), s.pollInterval(), s.resyncInterval(), s.volumeGracePeriod(), s.restartMaxDelay(),
                s.livenessThreshold(), s.subnodeUidBase(), s.firewallTable());
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            TestNetwork.pause(Duration.ofMillis(50));
        }
    }
}
