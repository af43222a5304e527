package io.flotilla.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.agent.config.AgentSettings;
import io.flotilla.agent.isolation.SubnodeUids;
import io.flotilla.agent.plan.Names;
import io.flotilla.agent.runtime.DockerContainerRuntime;
import io.flotilla.agent.runtime.ObservedContainer;
import io.flotilla.agent.runtime.ObservedContainer.ContainerState;
import io.flotilla.agent.status.AgentStatus;
import io.flotilla.manager.ManagerClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What one subnode can and cannot do to the others and to its node (docs/agent.md, "Isolation"), with the real
 * Docker engine, the kernel's nftables and loop-mounted volumes: five nodes on 127.0.0.61-65, two dev4 chains, the
 * stand-in subnode; every probe runs inside a subnode container ({@code docker exec}, as its uid, in its cgroup).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class SubnodeIsolationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** 2 GiB declared, 1 reserved: a dev4 subnode (8 units) gets a 64 MiB volume. */
    private static final AgentSettings.Capacity SMALL_DISK = new AgentSettings.Capacity(4000, 4096, 2);
    private static final long QUOTA = 64L << 20;

    private TestNetwork network;
    private DockerContainerRuntime runtime;
    private final List<SimulatedNode> nodes = new ArrayList<>();
    private final List<ServerSocket> listeners = new ArrayList<>();
    private ManagerClient developer;
    private long chainA;
    private long chainB;

    @BeforeAll
    void start() throws Exception {
        runtime = new DockerContainerRuntime("unix:///var/run/docker.sock");
        assertThat(runtime.ping()).isTrue();
        network = TestNetwork.start();
        developer = network.client(TestNetwork.account(9));
        for (int i = 41; i <= 45; i++) {
            SimulatedNode node = new SimulatedNode(network, runtime, i, TestNetwork.account(i - 40), Duration.ofSeconds(2));
            AgentSettings s = node.settings;
            node.restartAgent(new AgentSettings(s.managerRpcUrl(), s.addressBook(), s.keystore(), s.passwordFile(), s.ip(), s.basePort(),
                    SMALL_DISK, s.reserve(), s.dockerHost(), s.dataDir(), s.pollInterval(), s.resyncInterval(), s.volumeGracePeriod(),
                    s.restartMaxDelay(), s.livenessThreshold(), s.subnodeUidBase(), s.firewallTable()));
            nodes.add(node);
        }
        chainA = developer.createSidechain("iso-a", "dev4", Duration.ofDays(30), "bft", TestNetwork.STANDIN_VERSION);
        chainB = developer.createSidechain("iso-b", "dev4", Duration.ofDays(30), "bft", TestNetwork.STANDIN_VERSION);
        for (SimulatedNode node : nodes) {
            node.agent.reconcile();
        }
        assertThat(containers(chainA)).hasSize(4).allMatch(c -> c.state() == ContainerState.RUNNING);
        assertThat(containers(chainB)).hasSize(4).allMatch(c -> c.state() == ContainerState.RUNNING);
    }

    @AfterAll
    void stop() throws Exception {
        for (ServerSocket s : listeners) {
            s.close();
        }
        for (SimulatedNode node : nodes) {
            runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id)).forEach(c -> runtime.removeContainer(c.id()));
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
    void eachSubnodeRunsAsItsOwnUidThatTheHostDoesNotUseAndOwnsItsFilesAlone() throws Exception {
        Set<Integer> uidsOnOneHost = new HashSet<>();
        for (long chain : List.of(chainA, chainB)) {
            for (long member : developer.chain(chain).members()) {
                SimulatedNode node = node(member);
                String name = container(chain, member);
                int slot = JSON.readTree(Files.readString(node.configOf(chainName(chain)))).get("slot").asInt();
                int uid = node.uidOf(slot);
                assertThat(uidsOnOneHost.add(uid)).as("uid %d of %s is shared", uid, name).isTrue();
                assertThat(SubnodeUids.conflict(node.settings.subnodeUidBase(), Path.of("/etc"))).isEmpty();
                // What the processes inside see: their own uid and gid, no supplementary groups.
                assertThat(exec(name, "id").output().strip()).startsWith("uid=" + uid + " gid=" + uid);
                JsonNode inspect = JSON.readTree(TestNetwork.run(network.root, Map.of(), "docker", "inspect", name)).get(0);
                assertThat(inspect.get("Config").get("User").asText()).isEqualTo(uid + ":" + uid);
                // The config directory and the secrets in it: the subnode's uid alone, 0700 and 0600.
                Path dir = node.configOf(chainName(chain)).getParent();
                assertThat(Files.getAttribute(dir, "unix:uid")).isEqualTo(uid);
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
                for (String file : List.of("config.json", "consensus-key.json", "consensus-key.password")) {
                    assertThat(Files.getAttribute(dir.resolve(file), "unix:uid")).as(file).isEqualTo(uid);
                    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(file)))).as(file).isEqualTo("rw-------");
                }
                // Its volume's root is its own; another uid's file there would be visible in `ls -n`.
                assertThat(exec(name, "stat", "-c", "%u:%g", "/data").output().strip()).isEqualTo(uid + ":" + uid);
                assertThat(exec(name, "touch", "/data/written-by-the-subnode").exit()).isZero();
            }
        }
    }

    @Test
    @Order(2)
    void aSubnodeReachesItsOwnPeersButNotAnotherChainNorTheAgentNorEthereum() throws Exception {
        SimulatedNode shared = sharedNode();
        String a = container(chainA, shared.id);
        String b = container(chainB, shared.id);
        long peerOfA = developer.chain(chainA).members().stream().filter(m -> m != shared.id).findFirst().orElseThrow();
        long peerOfB = developer.chain(chainB).members().stream().filter(m -> m != shared.id).findFirst().orElseThrow();
        // The stand-in does not listen on its consensus port: the test listens there, as the peer's subnode would.
        Endpoint aPeerConsensus = listen(node(peerOfA).ip, consensusPort(chainA, peerOfA));
        Endpoint bPeerConsensus = listen(node(peerOfB).ip, consensusPort(chainB, peerOfB));
        Endpoint bConsensusHere = listen(shared.ip, consensusPort(chainB, shared.id));
        Endpoint agentApi = listen(shared.ip, 8080 + 41); // where a node's status API listens (server.address:port)
        URI ethereum = URI.create(network.rpcUrl);
        Endpoint ethereumEndpoint = new Endpoint(ethereum.getHost(), ethereum.getPort());

        assertThat(connects(a, aPeerConsensus)).as("A's subnode to its own peer's consensus port").isTrue();
        assertThat(connects(b, bPeerConsensus)).as("B's subnode to its own peer's consensus port").isTrue();
        assertThat(connects(a, bPeerConsensus)).as("A's subnode to chain B's consensus port on another node").isFalse();
        assertThat(connects(a, bConsensusHere)).as("A's subnode to chain B's consensus port on its own node").isFalse();
        assertThat(connects(a, agentApi)).as("A's subnode to the agent's API").isFalse();
        assertThat(connects(a, ethereumEndpoint)).as("A's subnode to the Ethereum endpoint").isFalse();
        // The endpoints themselves answer: from the host (root, not a subnode uid) every one of them connects.
        for (Endpoint e : List.of(aPeerConsensus, bPeerConsensus, bConsensusHere, agentApi, ethereumEndpoint)) {
            try (Socket s = new Socket(e.ip(), e.port())) {
                assertThat(s.isConnected()).isTrue();
            }
        }
        // dockerd listens on a unix socket that no subnode has mounted.
        assertThat(exec(a, "ls", "/var/run/docker.sock").exit()).isNotZero();
        // Its JSON-RPC port still answers anyone (the answers leave through its own port, which its rules allow).
        int rpc = JSON.readTree(Files.readString(shared.configOf("iso-a"))).get("ports").get("rpcHttp").asInt();
        try (Socket s = new Socket(shared.ip, rpc)) {
            assertThat(s.isConnected()).isTrue();
        }
    }

    @Test
    @Order(3)
    void aPortAnotherChainsSubnodeSquatsOnAnswersNobody() throws Exception {
        SimulatedNode shared = sharedNode();
        String a = container(chainA, shared.id);
        // A's subnode binds a port of the node's range that is not its own (a slot no chain uses yet) and listens.
        int squatted = shared.basePort + 100 * 16;
        Process squatter = new ProcessBuilder("docker", "exec", a, "nc", "-l", "-p", Integer.toString(squatted))
                .redirectErrorStream(true).start();
        try {
            Thread.sleep(1000);
            assertThat(squatter.isAlive()).as("the squatter listens").isTrue();
            // Whoever connects gets no answer from it: its SYN-ACK leaves from a port that is not its own.
            try (Socket s = new Socket()) {
                s.connect(new java.net.InetSocketAddress(shared.ip, squatted), 2000);
                org.assertj.core.api.Assertions.fail("connected to a port squatted by another chain's subnode");
            } catch (IOException refused) {
                assertThat(refused.getMessage()).isNotBlank();
            }
        } finally {
            squatter.destroyForcibly();
            exec(a, "killall", "nc");
        }
    }

    @Test
    @Order(4)
    void aSubnodeThatWritesPastItsQuotaFailsInItsOwnVolumeOnlyAndTheAgentSaysSo() throws Exception {
        SimulatedNode shared = sharedNode();
        String a = container(chainA, shared.id);
        String b = container(chainB, shared.id);
        long hostFreeBefore = Files.getFileStore(shared.settings.dataDir()).getUsableSpace();
        Exec fill = exec(a, "dd", "if=/dev/zero", "of=/data/fill", "bs=1M", "count=" + (2 * QUOTA >> 20));
        assertThat(fill.exit()).isNotZero();
        assertThat(fill.output()).contains("No space left on device");
        long written = Long.parseLong(exec(a, "stat", "-c", "%s", "/data/fill").output().strip());
        assertThat(written).isLessThanOrEqualTo(QUOTA).isGreaterThan(QUOTA / 2);
        // The host's disk lost at most the volume's size; the other chain's subnode on the same node still writes.
        long hostFreeAfter = Files.getFileStore(shared.settings.dataDir()).getUsableSpace();
        assertThat(hostFreeBefore - hostFreeAfter).isLessThan(QUOTA + (16L << 20));
        assertThat(exec(b, "dd", "if=/dev/zero", "of=/data/small", "bs=1M", "count=4").exit()).isZero();
        assertThat(exec(a, "touch", "/tmp/still-writable").exit()).as("its own /tmp is not its volume").isZero();

        shared.agent.reconcile();
        AgentStatus.Snapshot status = shared.status.snapshot();
        assertThat(status.health()).isEqualTo(AgentStatus.Health.DEGRADED);
        assertThat(status.problems()).anySatisfy(p -> assertThat(p).startsWith("chain " + chainA + ": data volume")
                .contains("is full"));
        assertThat(status.problems()).noneSatisfy(p -> assertThat(p).startsWith("chain " + chainB + ":"));
        double used = shared.metrics.get("flotilla.subnode.disk.used.bytes").tag("chain", "iso-a").gauge().value();
        double limit = shared.metrics.get("flotilla.subnode.disk.limit.bytes").tag("chain", "iso-a").gauge().value();
        assertThat(limit).isLessThanOrEqualTo(QUOTA).isGreaterThan(QUOTA * 0.8);
        assertThat(used).isGreaterThan(limit * 0.99);

        // Space freed: the problem goes with the next pass.
        assertThat(exec(a, "rm", "/data/fill").exit()).isZero();
        shared.agent.reconcile();
        assertThat(shared.status.snapshot().problems()).noneSatisfy(p -> assertThat(p).contains("is full"));
    }

    @Test
    @Order(5)
    void theRulesOfARemovedChainGoWithItsContainer() throws Exception {
        SimulatedNode shared = sharedNode();
        int slotB = JSON.readTree(Files.readString(shared.configOf("iso-b"))).get("slot").asInt();
        assertThat(nftTable(shared)).contains("chain slot_" + slotB + " ").contains(shared.uidOf(slotB) + " : jump slot_" + slotB);
        developer.deleteSidechain(chainB);
        for (SimulatedNode node : nodes) {
            node.agent.reconcile(); // removes the container
            node.agent.reconcile(); // then its rules
        }
        assertThat(containers(chainB)).isEmpty();
        assertThat(nftTable(shared)).doesNotContain("chain slot_" + slotB + " ").doesNotContain(shared.uidOf(slotB) + " : jump");
        int slotA = JSON.readTree(Files.readString(shared.configOf("iso-a"))).get("slot").asInt();
        assertThat(nftTable(shared)).contains("chain slot_" + slotA + " ");
    }

    @Test
    @Order(6)
    void aVolumeFromBeforePerSubnodeUidsIsHandedToTheSubnodesUid() throws Exception {
        long chainC = developer.createSidechain("iso-c", "dev4", Duration.ofDays(30), "bft", TestNetwork.STANDIN_VERSION);
        // An older agent made plain volumes whose files belong to 65534 (the image's user then).
        for (long member : developer.chain(chainC).members()) {
            String volume = Names.volume(network.book.networkId(), "iso-c", member);
            runtime.createVolume(volume, Map.of(Names.LABEL_MANAGED, "true", Names.LABEL_NETWORK, network.book.networkId(),
                    Names.LABEL_NODE, Long.toString(member), Names.LABEL_CHAIN, Long.toString(chainC), Names.LABEL_CHAIN_NAME, "iso-c"));
            Path data = Path.of(runtime.volumeMountpoint(volume).orElseThrow());
            Files.writeString(data.resolve("old-block"), "written by uid 65534");
            TestNetwork.run(Path.of("/"), Map.of(), "chown", "-R", "65534:65534", data.toString());
        }
        for (SimulatedNode node : nodes) {
            node.agent.reconcile();
        }
        for (long member : developer.chain(chainC).members()) {
            SimulatedNode node = node(member);
            String name = Names.container(network.book.networkId(), "iso-c", member);
            int uid = node.uidOf(JSON.readTree(Files.readString(node.configOf("iso-c"))).get("slot").asInt());
            assertThat(exec(name, "stat", "-c", "%u", "/data/old-block").output().strip()).isEqualTo(Integer.toString(uid));
            assertThat(exec(name, "cat", "/data/old-block").output()).isEqualTo("written by uid 65534");
            assertThat(exec(name, "touch", "/data/new-block").exit()).isZero();
        }
        developer.deleteSidechain(chainC);
    }

    // ------------------------------------------------------------------ helpers

    record Endpoint(String ip, int port) {}

    record Exec(int exit, String output) {}

    private Endpoint listen(String ip, int port) throws IOException {
        ServerSocket server = new ServerSocket(port, 50, InetAddress.getByName(ip));
        listeners.add(server);
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.getOutputStream().flush();
                } catch (IOException closed) {
                    return;
                }
            }
        });
        return new Endpoint(ip, port);
    }

    /** Whether a TCP connection from inside {@code container} (its uid, its cgroup) to {@code e} succeeds. */
    private static boolean connects(String container, Endpoint e) throws Exception {
        Exec r = exec(container, "nc", "-w", "3", e.ip(), Integer.toString(e.port()));
        return r.exit() == 0;
    }

    private static Exec exec(String container, String... command) throws Exception {
        List<String> full = new ArrayList<>(List.of("docker", "exec", container));
        full.addAll(List.of(command));
        Process p = new ProcessBuilder(full).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Exec(p.exitValue(), out);
    }

    private static String nftTable(SimulatedNode node) throws Exception {
        return TestNetwork.run(Path.of("/"), Map.of(), "nft", "list", "table", "inet", node.settings.firewallTable());
    }

    private SimulatedNode sharedNode() {
        Set<Long> a = Set.copyOf(developer.chain(chainA).members());
        return nodes.stream().filter(n -> a.contains(n.id) && developer.chain(chainB).members().contains(n.id)).findFirst().orElseThrow();
    }

    private int consensusPort(long chain, long member) throws IOException {
        SimulatedNode node = node(member);
        return JSON.readTree(Files.readString(node.configOf(chainName(chain)))).get("ports").get("consensus").asInt();
    }

    private String chainName(long chain) {
        return chain == chainA ? "iso-a" : "iso-b";
    }

    private String container(long chain, long member) {
        return Names.container(network.book.networkId(), chainName(chain), member);
    }

    private SimulatedNode node(long id) {
        return nodes.stream().filter(n -> n.id == id).findFirst().orElseThrow();
    }

    private List<ObservedContainer> containers(long chain) {
        List<ObservedContainer> all = new ArrayList<>();
        for (SimulatedNode node : nodes) {
            all.addAll(runtime.listContainers(Map.of(Names.LABEL_MANAGED, "true", Names.LABEL_NETWORK, network.book.networkId(),
                    Names.LABEL_NODE, Long.toString(node.id), Names.LABEL_CHAIN, Long.toString(chain))));
        }
        return all;
    }
}
