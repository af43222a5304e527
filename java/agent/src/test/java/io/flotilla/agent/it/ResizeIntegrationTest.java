package io.flotilla.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.agent.plan.Action;
import io.flotilla.agent.plan.Names;
import io.flotilla.agent.runtime.DockerContainerRuntime;
import io.flotilla.agent.runtime.ObservedContainer;
import io.flotilla.agent.runtime.ObservedContainer.ContainerState;
import io.flotilla.agent.runtime.ResourceLimits;
import io.flotilla.manager.ChainInfo;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.NodeStatus;
import io.flotilla.manager.Rotation;
import java.math.BigInteger;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.abi.datatypes.generated.Uint8;

/**
 * Resizing a live chain against the real parts (issue 16): the manager contracts on a Hardhat node, six simulated
 * nodes each with an agent, and the Docker engine. More units reach the running containers through {@code docker
 * update} (same container, not restarted); more members get new containers while the others keep running and
 * read the new member set live; fewer members leave after the rotation delay.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class ResizeIntegrationTest {

    private static final Duration ROTATION_DELAY = Duration.ofSeconds(6);
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestNetwork network;
    private DockerContainerRuntime runtime;
    private final List<SimulatedNode> nodes = new ArrayList<>();
    private ManagerClient developer;
    private long chainId;
    /** Container id -> StartedAt of the chain's containers before each resize. */
    private Map<String, Instant> started = Map.of();

    @BeforeAll
    void startNetwork() throws Exception {
        runtime = new DockerContainerRuntime("unix:///var/run/docker.sock");
        assertThat(runtime.ping()).as("a Docker engine must answer on /var/run/docker.sock (./flotilla starts one)").isTrue();
        network = TestNetwork.start();
        ManagerClient admin = network.client(TestNetwork.account(0));
        developer = network.client(TestNetwork.account(9));
        network.useRotationDelay(admin, ROTATION_DELAY);
        chainType(admin, "dev4x16", 16, 4);
        chainType(admin, "dev6x16", 16, 6);
        chainType(admin, "dev4x4", 4, 4);
        for (int i = 1; i <= 6; i++) {
            nodes.add(new SimulatedNode(network, runtime, i, TestNetwork.account(i), Duration.ofSeconds(2)));
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
    void moreUnitsReachTheRunningContainersInPlaceWithoutARestart() throws Exception {
        chainId = developer.createSidechain("elastic", "dev4", Duration.ofDays(30), "bft", TestNetwork.STANDIN_VERSION);
        reconcileAll();
        remember();
        assertThat(started).hasSize(4);
        for (ObservedContainer c : containers()) {
            assertThat(c.limits()).isEqualTo(limitsFor(8));
        }

        developer.resizeSidechain(chainId, "dev4x16");
        assertThat(developer.chain(chainId).unitsPerNode()).isEqualTo(16);
        for (long member : developer.chain(chainId).members()) {
            List<Action> plan = node(member).agent.reconcile();
            assertThat(plan).as("plan of node %d", member).singleElement().isInstanceOf(Action.UpdateResources.class);
        }
        List<ObservedContainer> after = containers();
        assertThat(after).hasSize(4).allMatch(c -> c.state() == ContainerState.RUNNING);
        for (ObservedContainer c : after) {
            // Same container, same start: the new limits were applied to the running process.
            assertThat(started).containsEntry(c.id(), c.startedAt());
            JsonNode host = JSON.readTree(TestNetwork.run(network.root, Map.of(), "docker", "inspect", c.id())).get(0).get("HostConfig");
            // 16 of 128 units of (4000 - 500) millicores and (4096 - 512) MiB.
            assertThat(host.get("CpuQuota").asLong()).isEqualTo(43_750);
            assertThat(host.get("CpuShares").asLong()).isEqualTo(128);
            assertThat(host.get("Memory").asLong()).isEqualTo(448L << 20);
            assertThat(host.get("MemorySwap").asLong()).isEqualTo(448L << 20);
            assertThat(host.get("PidsLimit").asLong()).isEqualTo(512);
        }
        // Idempotent: nothing left to do.
        for (SimulatedNode node : nodes) {
            assertThat(node.agent.reconcile()).as("second pass of node %d", node.id).isEmpty();
        }
    }

    @Test
    @Order(2)
    void moreMembersGetNewContainersWhileTheOthersKeepRunningAndTakeTheNewSetLive() throws Exception {
        remember();
        List<Long> before = developer.chain(chainId).members();
        developer.resizeSidechain(chainId, "dev6x16");
        ChainInfo chain = developer.chain(chainId);
        assertThat(chain.members()).hasSize(6).startsWith(before.toArray(Long[]::new));
        List<Long> joined = chain.members().subList(4, 6);
        assertThat(developer.rotationsOf(chainId)).extracting(Rotation::leavingNode, Rotation::joiningNode, Rotation::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0L, joined.get(0), Rotation.Reason.RESIZE),
                        org.assertj.core.groups.Tuple.tuple(0L, joined.get(1), Rotation.Reason.RESIZE));
        reconcileAll();

        List<ObservedContainer> after = containers();
        assertThat(after).hasSize(6).allMatch(c -> c.state() == ContainerState.RUNNING);
        assertThat(after.stream().map(c -> Long.parseLong(c.labels().get(Names.LABEL_NODE))).collect(Collectors.toSet()))
                .isEqualTo(Set.copyOf(chain.members()));
        for (ObservedContainer c : after) {
            long member = Long.parseLong(c.labels().get(Names.LABEL_NODE));
            if (before.contains(member)) {
                assertThat(started).containsEntry(c.id(), c.startedAt());
            }
            assertThat(c.limits()).isEqualTo(limitsFor(16));
            // Every member's config names the six members: the old ones read it live.
            JsonNode config = JSON.readTree(Files.readString(node(member).configOf("elastic")));
            assertThat(config.get("members")).hasSize(6);
        }
    }

    @Test
    @Order(3)
    void fewerMembersAndUnitsAreRefundedAndTheRemovedMembersServeUntilFinishAt() throws Exception {
        remember();
        List<Long> before = developer.chain(chainId).members();
        BigInteger refund = developer.resizePrice(chainId, "dev4x4").negate();
        assertThat(refund.signum()).isPositive();
        developer.resizeSidechain(chainId, "dev4x4");
        ChainInfo chain = developer.chain(chainId);
        assertThat(chain.members()).hasSize(4);
        assertThat(chain.unitsPerNode()).isEqualTo(4);
        List<Long> removed = before.stream().filter(m -> !chain.members().contains(m)).toList();
        assertThat(removed).hasSize(2);
        reconcileAll();
        // Kept members: same containers with the smaller limits; removed ones still serve (finishAt not reached).
        List<ObservedContainer> during = containers();
        assertThat(during).hasSize(6).allMatch(c -> c.state() == ContainerState.RUNNING);
        for (ObservedContainer c : during) {
            assertThat(started).containsEntry(c.id(), c.startedAt());
            long member = Long.parseLong(c.labels().get(Names.LABEL_NODE));
            if (chain.members().contains(member)) {
                assertThat(c.limits()).isEqualTo(limitsFor(4));
                assertThat(JSON.readTree(Files.readString(node(member).configOf("elastic"))).get("members")).hasSize(4);
            }
        }
        TestNetwork.pause(ROTATION_DELAY.plusSeconds(2));
        network.client(TestNetwork.account(0)).sendEther(TestNetwork.account(0).getAddress(), BigInteger.ONE); // a block past finishAt
        reconcileAll();
        assertThat(containers().stream().map(c -> Long.parseLong(c.labels().get(Names.LABEL_NODE))).collect(Collectors.toSet()))
                .isEqualTo(Set.copyOf(chain.members()));
    }

    private ResourceLimits limitsFor(int units) {
        return new io.flotilla.agent.reconcile.LimitsCalculator(nodes.get(0).settings.capacity(), nodes.get(0).settings.reserve()).forUnits(units);
    }

    private void remember() {
        Map<String, Instant> now = new HashMap<>();
        containers().forEach(c -> now.put(c.id(), c.startedAt()));
        started = now;
    }

    private static void chainType(ManagerClient admin, String name, int units, int count) {
        admin.transact("SidechainManager", new Function("setChainType", List.<Type>of(new Utf8String(name), new Uint8(units),
                new Uint8(count), new Bool(true)), List.of()), BigInteger.ZERO);
    }

    private void reconcileAll() {
        for (SimulatedNode node : nodes) {
            if (node.client.node(node.id).status() != NodeStatus.LEFT) {
                node.agent.reconcile();
            }
        }
    }

    private List<ObservedContainer> containers() {
        return runtime.listContainers(Map.of(Names.LABEL_MANAGED, "true", Names.LABEL_NETWORK, network.book.networkId(),
                Names.LABEL_CHAIN, Long.toString(chainId)));
    }

    private SimulatedNode node(long id) {
        return nodes.stream().filter(n -> n.id == id).findFirst().orElseThrow();
    }
}
