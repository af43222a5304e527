package io.flotilla.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.plan.Names;
import io.flotilla.agent.runtime.DockerContainerRuntime;
import io.flotilla.agent.runtime.ObservedContainer;
import io.flotilla.agent.runtime.ObservedContainer.ContainerState;
import io.flotilla.agent.runtime.ObservedVolume;
import io.flotilla.manager.ManagerClient;
import java.time.Duration;
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

/**
 * Two Flotilla networks on one Docker engine (two Hardhat chains, each with the contracts from the same deployer, so
 * the same addresses, the same node ids 1-4 and the same chain "alpha" with id 1): each network's agents reconcile
 * and neither sees, replaces or removes the other's containers and volumes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class TwoNetworksTest {

    private DockerContainerRuntime runtime;
    private TestNetwork first;
    private TestNetwork second;
    private final List<SimulatedNode> firstNodes = new ArrayList<>();
    private final List<SimulatedNode> secondNodes = new ArrayList<>();

    @BeforeAll
    void startTwoNetworks() throws Exception {
        runtime = new DockerContainerRuntime("unix:///var/run/docker.sock");
        assertThat(runtime.ping()).as("a Docker engine must answer on /var/run/docker.sock").isTrue();
        first = TestNetwork.start();
        second = TestNetwork.start();
        // Own loopback addresses per network (127.0.0.61-64 and .65-68): their subnodes bind the same ports.
        for (int i = 1; i <= 4; i++) {
            firstNodes.add(new SimulatedNode(first, runtime, 40 + i, TestNetwork.account(i), Duration.ofSeconds(2)));
            secondNodes.add(new SimulatedNode(second, runtime, 44 + i, TestNetwork.account(i), Duration.ofSeconds(2)));
        }
    }

    @AfterAll
    void stop() throws Exception {
        for (TestNetwork network : new TestNetwork[] {first, second}) {
            if (network == null) continue;
            runtime.listContainers(Names.networkSelector(network.book.networkId())).forEach(c -> runtime.removeContainer(c.id()));
            runtime.listVolumes(Names.networkSelector(network.book.networkId())).forEach(v -> runtime.removeVolume(v.name()));
            // The volumes' loop mounts and the nodes' firewall tables go too (nothing of the test stays on the host).
            (network == first ? firstNodes : secondNodes).forEach(SimulatedNode::removeIsolation);
            network.close();
        }
        if (runtime != null) runtime.close();
    }

    @Test
    @Order(1)
    void eachNetworkReconcilesItsOwnSubnodesAndNeverTouchesTheOthers() throws Exception {
        String a = first.book.networkId();
        String b = second.book.networkId();
        assertThat(a).as("two deployments are two networks").isNotEqualTo(b).matches("[0-9a-f]{8}");
        assertThat(first.book.address("SidechainManager")).as("same deployer, same addresses")
                .isEqualToIgnoringCase(second.book.address("SidechainManager"));
        assertThat(ids(firstNodes)).as("node ids restart at 1 in every network").isEqualTo(ids(secondNodes));

        long alphaA = developer(first).createSidechain("alpha", "dev4", Duration.ofDays(30), "bft", TestNetwork.STANDIN_VERSION);
        long alphaB = developer(second).createSidechain("alpha", "dev4", Duration.ofDays(30), "bft", TestNetwork.STANDIN_VERSION);
        assertThat(alphaA).isEqualTo(alphaB);

        firstNodes.forEach(n -> n.agent.reconcile());
        Map<String, String> aBefore = snapshot(a);
        assertThat(aBefore).hasSize(4);
        secondNodes.forEach(n -> n.agent.reconcile());
        Map<String, String> bBefore = snapshot(b);
        assertThat(bBefore).hasSize(4);
        assertThat(snapshot(a)).as("network %s's containers, after network %s reconciled", a, b).isEqualTo(aBefore);
        assertThat(aBefore.keySet()).allMatch(name -> name.startsWith("flotilla-" + a + "-alpha-"));
        assertThat(bBefore.keySet()).allMatch(name -> name.startsWith("flotilla-" + b + "-alpha-"));
        assertThat(runtime.listContainers(Names.networkSelector(a))).allMatch(c -> c.state() == ContainerState.RUNNING);
        assertThat(runtime.listContainers(Names.networkSelector(b))).allMatch(c -> c.state() == ContainerState.RUNNING);
        assertThat(volumes(a)).hasSize(4).allMatch(v -> v.startsWith("flotilla-" + a + "-"));
        assertThat(volumes(b)).hasSize(4).allMatch(v -> v.startsWith("flotilla-" + b + "-"));

        // Another pass of every agent changes nothing: no agent takes the other network's node-1 container for a
        // duplicate of its own.
        for (SimulatedNode n : firstNodes) assertThat(n.agent.reconcile()).as("plan of network %s's node %d", a, n.id).isEmpty();
        for (SimulatedNode n : secondNodes) assertThat(n.agent.reconcile()).as("plan of network %s's node %d", b, n.id).isEmpty();

        // Network A loses a subnode: its agent recreates its own, and B's containers and volumes stay as they were.
        SimulatedNode victim = firstNodes.getFirst();
        ObservedContainer gone = runtime.listContainers(Names.nodeSelector(a, victim.id)).getFirst();
        runtime.removeContainer(gone.id());
        assertThat(victim.agent.reconcile()).isNotEmpty();
        assertThat(snapshot(a)).hasSize(4).containsKey(gone.name()).doesNotContainEntry(gone.name(), aBefore.get(gone.name()));
        assertThat(snapshot(b)).isEqualTo(bBefore);
        assertThat(volumes(b)).hasSize(4);

        // Network B's subnodes go (its deployment ends): network A's agents still find everything of theirs in place.
        runtime.listContainers(Names.networkSelector(b)).forEach(c -> runtime.removeContainer(c.id()));
        runtime.listVolumes(Names.networkSelector(b)).forEach(v -> runtime.removeVolume(v.name()));
        Map<String, String> aNow = snapshot(a);
        for (SimulatedNode n : firstNodes) assertThat(n.agent.reconcile()).isEmpty();
        assertThat(snapshot(a)).isEqualTo(aNow);
    }

    /**
     * A node's consensus key is rotated: its agent, given a new key (the old one deleted, as an operator who fears a
     * leak does), registers it on its next pass, and the other members' configs name the new key.
     */
    @Test
    @Order(2)
    void anAgentRegistersANewConsensusKeyAndTheMembersTakeIt() throws Exception {
        SimulatedNode rotating = firstNodes.getFirst();
        String before = rotating.client.consensusKeyOf(rotating.id);
        try (var files = java.nio.file.Files.walk(rotating.settings.dataDir().resolve("keys"))) {
            for (java.nio.file.Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) java.nio.file.Files.delete(f);
        }
        rotating.restartAgent();
        rotating.agent.reconcile();
        String after = rotating.client.consensusKeyOf(rotating.id);
        assertThat(after).isNotEqualTo(before).isNotEqualTo(io.flotilla.manager.Member.NO_KEY)
                .isNotEqualToIgnoringCase(rotating.key.getAddress());
        assertThat(after).isEqualTo(io.flotilla.agent.node.ConsensusKey.loadOrCreate(rotating.settings.dataDir()).address());
        // The rotating node's own subnode needs a new process for its new key (recreated when its turn comes); the
        // others take the new address live.
        for (SimulatedNode n : firstNodes.subList(1, firstNodes.size())) {
            n.agent.reconcile();
            var config = io.flotilla.subnode.config.SubnodeConfigJson.load(n.configOf("alpha"));
            assertThat(config.members()).filteredOn(m -> m.nodeId() == rotating.id).singleElement()
                    .matches(m -> m.address().equals(after), "names the new key");
        }
    }

    private static ManagerClient developer(TestNetwork network) {
        return network.client(TestNetwork.account(9));
    }

    private static Set<Long> ids(List<SimulatedNode> nodes) {
        return nodes.stream().map(n -> n.id).collect(Collectors.toSet());
    }

    /** Container name to id and start time, of one network. */
    private Map<String, String> snapshot(String network) {
        return runtime.listContainers(Names.networkSelector(network)).stream()
                .collect(Collectors.toMap(ObservedContainer::name, c -> c.id() + "@" + c.startedAt()));
    }

    private List<String> volumes(String network) {
        return runtime.listVolumes(Names.networkSelector(network)).stream().map(ObservedVolume::name).toList();
    }
}
