package io.flotilla.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.agent.liveness.PeerProber;
import io.flotilla.agent.plan.Action;
import io.flotilla.agent.plan.Names;
import io.flotilla.agent.runtime.DockerContainerRuntime;
import io.flotilla.agent.runtime.ObservedContainer;
import io.flotilla.agent.runtime.ObservedContainer.ContainerState;
import io.flotilla.manager.ChainInfo;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.ManagerException;
import io.flotilla.manager.NodeStatus;
import io.flotilla.manager.Rotation;
import io.flotilla.manager.contracts.SidechainManager;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;

/**
 * The agent against the real parts: a Hardhat node running the manager contracts (deployed by the deploy script)
 * and the Docker engine. Six simulated nodes on their own loopback addresses each run an agent reconciler.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class AgentIntegrationTest {

    private static final Duration ROTATION_DELAY = Duration.ofSeconds(6);
    private static final Duration VOLUME_GRACE = Duration.ofSeconds(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestNetwork network;
    private DockerContainerRuntime runtime;
    private final List<SimulatedNode> nodes = new ArrayList<>();
    private ManagerClient admin;
    private ManagerClient developer;
    private long alpha;

    @BeforeAll
    void startNetwork() throws Exception {
        runtime = new DockerContainerRuntime("unix:///var/run/docker.sock");
        assertThat(runtime.ping()).as("a Docker engine must answer on /var/run/docker.sock (./flotilla starts one)").isTrue();
        network = TestNetwork.start();
        admin = network.client(TestNetwork.account(0));
        developer = network.client(TestNetwork.account(9));
        network.useRotationDelay(admin, ROTATION_DELAY);
        for (int i = 1; i <= 6; i++) {
            nodes.add(new SimulatedNode(network, runtime, i, TestNetwork.account(i), VOLUME_GRACE));
        }
    }

    @AfterAll
    void stopNetwork() throws Exception {
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
    void aNewChainGetsOneHardenedResourceLimitedSubnodePerMember() throws Exception {
        alpha = developer.createSidechain("alpha", "dev4", Duration.ofDays(30), "bft", TestNetwork.STANDIN_VERSION);
        reconcileAll();
        ChainInfo chain = developer.chain(alpha);
        List<ObservedContainer> containers = containersOf(alpha);
        assertThat(containers).hasSize(4).allMatch(c -> c.state() == ContainerState.RUNNING);
        assertThat(containers.stream().map(c -> Long.parseLong(c.labels().get(Names.LABEL_NODE))).collect(Collectors.toSet()))
                .isEqualTo(Set.copyOf(chain.members()));

        for (long member : chain.members()) {
            SimulatedNode node = node(member);
            String name = Names.container(network.book.networkId(), "alpha", member);
            JsonNode inspect = JSON.readTree(TestNetwork.run(network.root, Map.of(), "docker", "inspect", name)).get(0);
            JsonNode host = inspect.get("HostConfig");
            // dev4 = 8 of 128 units of (4000 - 500) millicores and (4096 - 512) MiB.
            assertThat(host.get("CpuQuota").asLong()).isEqualTo(21_875);
            assertThat(host.get("CpuPeriod").asLong()).isEqualTo(100_000);
            assertThat(host.get("CpuShares").asLong()).isEqualTo(64);
            assertThat(host.get("Memory").asLong()).isEqualTo(224L << 20);
            assertThat(host.get("PidsLimit").asLong()).isEqualTo(256);
            assertThat(host.get("ReadonlyRootfs").asBoolean()).isTrue();
            assertThat(host.get("CapDrop").toString()).contains("ALL");
            assertThat(host.get("SecurityOpt").toString()).contains("no-new-privileges");
            assertThat(host.get("NetworkMode").asText()).isEqualTo("host");
            assertThat(host.get("LogConfig").get("Config").get("max-size").asText()).isEqualTo("10m");
            assertThat(host.get("LogConfig").get("Config").get("max-file").asText()).isEqualTo("3");
            assertThat(inspect.get("Image").asText()).isEqualTo(network.standinImageId);
            assertThat(inspect.get("Config").get("Labels").get(Names.LABEL_CHAIN).asText()).isEqualTo(Long.toString(alpha));

            JsonNode config = JSON.readTree(Files.readString(node.configOf("alpha")));
            int slot = config.get("slot").asInt();
            // Its own uid and gid: the node's base plus its slot.
            assertThat(inspect.get("Config").get("User").asText()).isEqualTo(node.uidOf(slot) + ":" + node.uidOf(slot));
            assertThat(config.get("ports").get("rpcHttp").asInt()).isEqualTo(21000 + slot * 16 + 2);
            assertThat(config.get("bindIp").asText()).isEqualTo(node.ip);
            assertThat(config.get("members")).hasSize(4);
            assertThat(config.has("catchUp") || config.has("syncPeers")).as("fields nobody reads are not written").isFalse();
            assertThat(io.flotilla.subnode.config.SubnodeConfigJson.read(Files.readString(node.configOf("alpha"))).slot()).isEqualTo(slot);
            assertThat(httpGet(node.ip, config.get("ports").get("rpcHttp").asInt())).contains("alpha");
            assertThat(node.status.snapshot().subnodes()).anyMatch(s -> s.chainId() == alpha && s.state().equals("RUNNING"));
        }
    }

    @Test
    @Order(2)
    void aRestartedAgentFindsEverythingInPlaceAndChangesNothing() {
        Set<String> before = containersOf(alpha).stream().map(ObservedContainer::id).collect(Collectors.toSet());
        for (SimulatedNode node : nodes) {
            node.restartAgent();
            assertThat(node.agent.reconcile()).as("plan of a restarted agent on node %d", node.id).isEmpty();
        }
        assertThat(containersOf(alpha).stream().map(ObservedContainer::id).collect(Collectors.toSet())).isEqualTo(before);
    }

    @Test
    @Order(3)
    void aSubnodeThatDiesIsRestartedAndAStrayDuplicateIsRemoved() throws Exception {
        ObservedContainer victim = containersOf(alpha).get(0);
        SimulatedNode node = node(Long.parseLong(victim.labels().get(Names.LABEL_NODE)));
        TestNetwork.run(network.root, Map.of(), "docker", "kill", victim.id());
        List<Action> plan = node.agent.reconcile();
        assertThat(plan).singleElement().isInstanceOf(Action.RestartContainer.class);
        assertThat(((Action.RestartContainer) plan.get(0)).exitCode()).isEqualTo(137);
        assertThat(containersOf(alpha)).allMatch(c -> c.state() == ContainerState.RUNNING);
    }

    @Test
    @Order(4)
    void aNodeExitRotatesItsChainsAndTheLeavingSubnodeServesUntilFinishAt() throws Exception {
        ChainInfo before = developer.chain(alpha);
        SimulatedNode leaving = node(before.members().get(0));
        leaving.client.initiateExit(leaving.id);
        // The exit rotation is requested; the leaving node's own agent finalizes it (from the next block) and so
        // completes its exit.
        leaving.client.processExit(leaving.id, 10);
        assertThat(leaving.client.node(leaving.id).status()).isEqualTo(NodeStatus.LEAVING);
        assertThat(developer.pendingDraw(alpha).kind()).isEqualTo(io.flotilla.manager.PendingDraw.Kind.NODE_EXIT);
        leaving.agent.reconcile();
        assertThat(developer.pendingDraw(alpha).pending()).isFalse();
        assertThat(leaving.client.node(leaving.id).status()).isEqualTo(NodeStatus.LEFT);
        Rotation rotation = developer.rotationsOf(alpha).getLast();
        assertThat(rotation.leavingNode()).isEqualTo(leaving.id);
        assertThat(rotation.reason()).isEqualTo(Rotation.Reason.NODE_EXIT);
        SimulatedNode joining = node(rotation.joiningNode());
        Map<String, String> stayingBefore = containersOf(alpha).stream().filter(c -> !c.labels().get(Names.LABEL_NODE).equals(Long.toString(leaving.id)))
                .collect(Collectors.toMap(c -> c.labels().get(Names.LABEL_NODE), c -> c.id() + "@" + c.startedAt()));

        reconcileAll();
        // The live switch: the members that stay get the new member set in their config file, and keep running.
        Map<String, String> stayingAfter = containersOf(alpha).stream().filter(c -> stayingBefore.containsKey(c.labels().get(Names.LABEL_NODE)))
                .collect(Collectors.toMap(c -> c.labels().get(Names.LABEL_NODE), c -> c.id() + "@" + c.startedAt()));
        assertThat(stayingAfter).as("same containers, not restarted").isEqualTo(stayingBefore);
        JsonNode joinedConfig = JSON.readTree(Files.readString(joining.configOf("alpha")));
        assertThat(joinedConfig.get("members").findValuesAsText("nodeId")).contains(Long.toString(joining.id)).hasSize(4);
        for (long member : developer.chain(alpha).members()) {
            JsonNode config = JSON.readTree(Files.readString(node(member).configOf("alpha")));
            assertThat(config.get("members").findValuesAsText("nodeId")).doesNotContain(Long.toString(leaving.id)).hasSize(4);
        }
        // The leaving subnode still serves: five containers until finishAt.
        assertThat(containersOf(alpha)).hasSize(5).allMatch(c -> c.state() == ContainerState.RUNNING);

        // finishAt is chain time; Hardhat's block timestamps run ahead of the wall clock during bursts of blocks.
        TestNetwork.pause(Duration.between(Instant.now(), rotation.finishAt()).plusMillis(1200));
        leaving.agent.reconcile();
        assertThat(containersOf(alpha)).hasSize(4).noneMatch(c -> c.labels().get(Names.LABEL_NODE).equals(Long.toString(leaving.id)));
        // The grace period starts when the agent first sees the volume without a chain.
        leaving.agent.reconcile();
        assertThat(runtime.listVolumes(Names.nodeSelector(network.book.networkId(), leaving.id))).as("volume kept during the grace period").hasSize(1);
        TestNetwork.pause(VOLUME_GRACE.plusMillis(200));
        leaving.agent.reconcile();
        assertThat(runtime.listVolumes(Names.nodeSelector(network.book.networkId(), leaving.id))).isEmpty();
    }

    @Test
    @Order(5)
    void anImageWhoseDigestIsNotPresentIsRefusedByEveryAgent() {
        admin.publishImage("bogus-1", "sha256:" + "dd".repeat(32), "subnode");
        long beta = developer.createSidechain("beta", "dev4", Duration.ofDays(1), "bft", "bogus-1");
        reconcileAll();
        assertThat(containersOf(beta)).isEmpty();
        for (long member : developer.chain(beta).members()) {
            assertThat(node(member).status.snapshot().problems())
                    .anyMatch(p -> p.contains("refused") && p.contains("bogus-1") && p.contains("dd".repeat(32)));
        }
    }

    @Test
    @Order(6)
    void membersReportADeadPeerAndTheContractsRotateItOut() throws Exception {
        ChainInfo chain = developer.chain(alpha);
        SimulatedNode dead = node(chain.members().get(1));
        // Hard-kill the node: its subnode stops and its agent no longer runs.
        ObservedContainer victim = runtime.listContainers(Map.of(Names.LABEL_NODE, Long.toString(dead.id), Names.LABEL_CHAIN, Long.toString(alpha))).getFirst();
        runtime.stopContainer(victim.id(), Duration.ofSeconds(1));
        List<SimulatedNode> survivors = chain.members().stream().filter(m -> m != dead.id).map(this::node).toList();
        // Reports are sent on the probing thread here (Runnable::run) so the test can count them; the probers are new, so
        // the join allowance (a member first seen) is set to zero.
        List<PeerProber> probers = survivors.stream()
                .map(n -> n.prober(new PeerProber.Policy(Duration.ofSeconds(1), Duration.ZERO, 10, 3_000_000), Runnable::run)).toList();
        for (int k = 0; k < survivors.size(); k++) {
            PeerProber.Round first = probers.get(k).probe(survivors.get(k).agent.lastDesired(), survivors.get(k).agent.runningChains());
            assertThat(first.queued()).as("nobody is reported before the grace period").isEmpty();
            assertThat(first.chainsJudged()).as("the stand-in subnode answers with a fresh head: it is finalizing (%s)", first).contains(alpha);
        }
        TestNetwork.pause(Duration.ofMillis(1200));
        List<Long> reported = new ArrayList<>();
        for (int k = 0; k < survivors.size(); k++) {
            reported.addAll(probers.get(k).probe(survivors.get(k).agent.lastDesired(), survivors.get(k).agent.runningChains()).queued());
        }
        assertThat(reported).containsOnly(dead.id).hasSize(3);
        // The quorum flagged it and requested its replacement; a member's agent finalizes the draw.
        assertThat(developer.node(dead.id).incompliant()).isTrue();
        assertThat(developer.pendingDraw(alpha).kind()).isEqualTo(io.flotilla.manager.PendingDraw.Kind.LIVENESS);
        survivors.getFirst().agent.reconcile();
        assertThat(developer.pendingDraw(alpha).pending()).isFalse();
        Rotation rotation = developer.rotationsOf(alpha).getLast();
        assertThat(rotation.reason()).isEqualTo(Rotation.Reason.LIVENESS);
        assertThat(rotation.leavingNode()).isEqualTo(dead.id);
        assertThat(developer.chain(alpha).members()).doesNotContain(dead.id);
        assertThat(developer.node(dead.id).incompliant()).isTrue();
        survivors.forEach(n -> n.agent.reconcile());
        node(rotation.joiningNode()).agent.reconcile();
        assertThat(containersOf(alpha).stream().filter(c -> c.state() == ContainerState.RUNNING)
                .map(c -> Long.parseLong(c.labels().get(Names.LABEL_NODE))).collect(Collectors.toSet()))
                .isEqualTo(Set.copyOf(developer.chain(alpha).members()));
    }

    @Test
    @Order(7)
    void aRefusedWriteNamesTheContractError() {
        SimulatedNode node = nodes.get(5);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> node.client.reportDown(alpha, 999))
                .isInstanceOf(ManagerException.class)
                .hasMessageContaining("NotAChainMember");
    }

    @Test
    @Order(8)
    void anUnreachableDockerEngineMakesTheAgentDegradedAndTouchesNothing() throws Exception {
        SimulatedNode node = node(developer.chain(alpha).members().getFirst());
        List<ObservedContainer> before = runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id));
        io.flotilla.agent.status.AgentStatus status = new io.flotilla.agent.status.AgentStatus();
        try (DockerContainerRuntime dead = new DockerContainerRuntime("unix://" + network.work.resolve("no-docker.sock"), Duration.ofSeconds(2))) {
            io.flotilla.agent.reconcile.Reconciler blind = io.flotilla.agent.reconcile.ReconcilerFactory.create(node.settings, node.client, dead,
                    status, new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), Clock.systemUTC());
            assertThat(blind.reconcile()).isEmpty();
        }
        assertThat(status.snapshot().health()).isEqualTo(io.flotilla.agent.status.AgentStatus.Health.DEGRADED);
        assertThat(status.snapshot().problems()).singleElement().asString().startsWith("docker: ");
        assertThat(runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id))).isEqualTo(before);
    }

    @Test
    @Order(9)
    void theRealSubnodeImageStartsFromItsTrainedAheadOfTimeCache() throws Exception {
        String image = TestNetwork.subnodeImage(network.root);
        // -XX:AOTMode=on turns a cache the JVM cannot use (another JDK, class path or GC) from a warning into a failed start.
        String out = TestNetwork.run(network.root, Map.of(), "docker", "run", "--rm", "--network", "none", "-e", "JAVA_TOOL_OPTIONS=-XX:AOTMode=on -Xlog:aot=info",
                image, "--self-check", "/tmp/check");
        assertThat(out).contains("Opened AOT cache /opt/flotilla/subnode.aot").contains("flotilla-node self-check: ok");
    }

    @Test
    @Order(9)
    void theRealSubnodeImageServesASingleMemberChainToWeb3j() throws Exception {
        String image = TestNetwork.subnodeImage(network.root);
        admin.publishImage("node-1", image, "subnode");
        admin.transact("SidechainManager", new Function("setChainType", List.<Type>of(new org.web3j.abi.datatypes.Utf8String("solo"),
                new org.web3j.abi.datatypes.generated.Uint8(8), new org.web3j.abi.datatypes.generated.Uint8(1),
                new org.web3j.abi.datatypes.Bool(true)), List.of()), BigInteger.ZERO);
        long solo = developer.createSidechain("solo", "solo", Duration.ofDays(1), "bft", "node-1");
        reconcileAll();
        SimulatedNode host = node(developer.chain(solo).members().getFirst());
        assertThat(containersOf(solo)).singleElement().matches(c -> c.imageId().equals(image));
        int rpcPort = JSON.readTree(Files.readString(host.configOf("solo"))).get("ports").get("rpcHttp").asInt();
        org.web3j.protocol.Web3j rpc = org.web3j.protocol.Web3j.build(new org.web3j.protocol.http.HttpService("http://" + host.ip + ":" + rpcPort));
        try {
            long evmChainId = 0x464C0000L + solo;
            Instant deadline = Instant.now().plusSeconds(90); // the JVM starts on 0.2 of a core
            BigInteger chainId = null;
            while (chainId == null) {
                try {
                    chainId = rpc.ethChainId().send().getChainId();
                } catch (java.io.IOException e) {
                    if (Instant.now().isAfter(deadline)) {
                        throw new AssertionError("subnode JSON-RPC did not answer: "
                                + TestNetwork.run(network.root, Map.of(), "docker", "logs", Names.container(network.book.networkId(), "solo", host.id)), e);
                    }
                    Thread.sleep(500);
                }
            }
            assertThat(chainId.longValueExact()).isEqualTo(evmChainId);
            // The chain owner is prefunded at genesis and sends a transfer signed for the sidechain's chain id.
            org.web3j.tx.RawTransactionManager owner = new org.web3j.tx.RawTransactionManager(rpc, TestNetwork.account(9), evmChainId);
            String recipient = "0x000000000000000000000000000000000000f10a";
            var sent = owner.sendTransaction(BigInteger.valueOf(1_000_000_000L), BigInteger.valueOf(21_000), recipient, "",
                    BigInteger.TEN.pow(18));
            assertThat(sent.hasError()).as("send error %s", sent.getError() == null ? "" : sent.getError().getMessage()).isFalse();
            var receipt = new org.web3j.tx.response.PollingTransactionReceiptProcessor(rpc, 200, 100).waitForTransactionReceipt(sent.getTransactionHash());
            assertThat(receipt.isStatusOK()).isTrue();
            assertThat(rpc.ethGetBalance(recipient, org.web3j.protocol.core.DefaultBlockParameterName.LATEST).send().getBalance())
                    .isEqualTo(BigInteger.TEN.pow(18));
        } finally {
            rpc.shutdown();
        }
    }

    /**
     * The operator key (registration, maintenance, exit, reports, gas) never reaches a subnode: not in its mounts,
     * its environment or any file it can read; it holds its node's consensus key only, which is what the chain's
     * member set names and what the NodeRegistry records for the node.
     */
    @Test
    @Order(10)
    void noSubnodeCanReadTheOperatorKeyOrItsPasswordOnlyItsConsensusKey() throws Exception {
        List<ObservedContainer> running = runtime.listContainers(Names.networkSelector(network.book.networkId())).stream()
                .filter(c -> c.state() == ContainerState.RUNNING).toList();
        assertThat(running).isNotEmpty().anyMatch(c -> c.imageId().equals(network.standinImageId));
        for (ObservedContainer c : running) {
            SimulatedNode node = node(Long.parseLong(c.labels().get(Names.LABEL_NODE)));
            String password = Files.readString(node.settings.passwordFile()).strip();
            JsonNode operatorKeystore = JSON.readTree(Files.readString(node.settings.keystore()));
            String ciphertext = operatorKeystore.at("/crypto/ciphertext").asText();
            String privateKey = node.key.getEcKeyPair().getPrivateKey().toString(16);
            assertThat(ciphertext).isNotEmpty();

            JsonNode inspect = JSON.readTree(TestNetwork.run(network.root, Map.of(), "docker", "inspect", c.id())).get(0);
            String env = inspect.at("/Config/Env").toString();
            assertThat(env).doesNotContain(password).doesNotContain(ciphertext).doesNotContain(privateKey);
            java.nio.file.Path configDir = node.settings.dataDir().resolve("subnodes").resolve(c.name());
            for (JsonNode mount : inspect.get("Mounts")) {
                String destination = mount.get("Destination").asText();
                if (mount.get("Type").asText().equals("bind")) {
                    assertThat(destination).isEqualTo("/config");
                    assertThat(mount.get("Source").asText()).isEqualTo(configDir.toString());
                } else {
                    assertThat(destination).as("mount %s of %s", mount, c.name()).isIn("/data", "/tmp");
                }
            }
            // /config holds the config and the consensus key, nothing of the operator's.
            try (var files = Files.list(configDir)) {
                assertThat(files.map(f -> f.getFileName().toString()).filter(f -> !f.startsWith(".")).collect(Collectors.toSet()))
                        .isEqualTo(Set.of("config.json", "consensus-key.json", "consensus-key.password"));
            }
            for (java.nio.file.Path f : List.of(configDir.resolve("config.json"), configDir.resolve("consensus-key.json"),
                    configDir.resolve("consensus-key.password"))) {
                assertThat(Files.readString(f)).doesNotContain(password).doesNotContain(ciphertext).doesNotContain(privateKey);
            }
            String consensusKey = "0x" + JSON.readTree(Files.readString(configDir.resolve("consensus-key.json"))).get("address").asText();
            assertThat(consensusKey).isNotEqualToIgnoringCase(node.key.getAddress());
            assertThat(node.client.consensusKeyOf(node.id)).isEqualToIgnoringCase(consensusKey);
            JsonNode config = JSON.readTree(Files.readString(configDir.resolve("config.json")));
            for (JsonNode m : config.get("members")) {
                if (m.get("nodeId").asLong() == node.id) assertThat(m.get("address").asText()).isEqualToIgnoringCase(consensusKey);
            }
            // Secrets: 0600 and the subnode's own uid's (an agent that is not root cannot give files away: "other" reads).
            boolean root = "root".equals(System.getProperty("user.name"));
            for (String secret : List.of("consensus-key.json", "consensus-key.password")) {
                java.nio.file.Path f = configDir.resolve(secret);
                int mode = (Integer) Files.getAttribute(f, "unix:mode") & 0777;
                if (root) {
                    assertThat(mode).as("mode of %s", f).isEqualTo(0600);
                    // The subnode's own uid, the one its container runs as.
                    int uid = Integer.parseInt(inspect.at("/Config/User").asText().split(":")[0]);
                    assertThat(Files.getAttribute(f, "unix:uid")).isEqualTo(uid);
                } else {
                    assertThat(mode).as("mode of %s", f).isEqualTo(0644);
                }
            }
            if (c.imageId().equals(network.standinImageId)) {
                // From inside: every file the subnode can read, and its processes' environments.
                String inside = TestNetwork.run(network.root, Map.of(), "docker", "exec", c.id(), "sh", "-c",
                        "for f in $(find / -xdev -type f 2>/dev/null) /config/* /data/* /tmp/* /proc/1/environ /proc/self/environ; do"
                                + " cat \"$f\" 2>/dev/null; done; env; mount");
                assertThat(inside).contains("consensus-key").doesNotContain(password).doesNotContain(ciphertext).doesNotContain(privateKey);
            }
        }
    }

    private void reconcileAll() {
        for (SimulatedNode node : nodes) {
            if (node.client.node(node.id).status() != NodeStatus.LEFT || !runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id)).isEmpty()) {
                node.agent.reconcile();
            }
        }
    }

    private List<ObservedContainer> containersOf(long chainId) {
        return runtime.listContainers(Map.of(Names.LABEL_MANAGED, "true", Names.LABEL_NETWORK, network.book.networkId(), Names.LABEL_CHAIN, Long.toString(chainId)));
    }

    private SimulatedNode node(long id) {
        return nodes.stream().filter(n -> n.id == id).findFirst().orElseThrow();
    }

    private static String httpGet(String ip, int port) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Instant deadline = Instant.now().plusSeconds(10);
        while (true) {
            try {
                return http.send(HttpRequest.newBuilder(URI.create("http://" + ip + ":" + port + "/")).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
            } catch (java.io.IOException e) {
                if (Instant.now().isAfter(deadline)) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }
}
