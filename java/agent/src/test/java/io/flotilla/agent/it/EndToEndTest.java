package io.flotilla.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.agent.liveness.PeerProber;
import io.flotilla.agent.plan.Names;
import io.flotilla.agent.reconcile.ReconcileLoop;
import io.flotilla.agent.runtime.DockerContainerRuntime;
import io.flotilla.agent.runtime.ObservedContainer;
import io.flotilla.agent.runtime.ObservedContainer.ContainerState;
import io.flotilla.manager.ChainInfo;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.ManagerEvents;
import io.flotilla.manager.NodeStatus;
import io.flotilla.manager.Rotation;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * The whole system on one machine: a Hardhat node with the manager contracts, six nodes on their own loopback
 * addresses (127.0.0.31-36) each running the agent's real reconcile loop (contract events, resync, liveness probes)
 * against the Docker engine, and the real subnode image. A dev4 chain is created and used with web3j (an ERC-20 and
 * 200 transfers); a member node is hard-killed, reported by its peers and rotated out, and the spare node's subnode
 * catches up while the chain keeps finalizing; a second chain shares the nodes; a node exit rotates every chain of
 * the node; an image whose digest is not in the registry is refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class EndToEndTest {

    private static final Duration ROTATION_DELAY = Duration.ofSeconds(8);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Credentials DEVELOPER = TestNetwork.account(9);
    private static final int TRANSFERS = 200;
    /** The chains' default minimum gas price (1 gwei): the developer pays for gas with the coin it got at genesis. */
    private static final BigInteger GAS_PRICE = BigInteger.valueOf(1_000_000_000L);
    // A subnode's JVM needs seconds to answer on a fifth of a core: a peer is judged only after this long.
    private static final Duration LIVENESS_THRESHOLD = Duration.ofSeconds(20);

    private TestNetwork network;
    private DockerContainerRuntime runtime;
    private final List<SimulatedNode> nodes = new ArrayList<>();
    private final Map<Long, ReconcileLoop> agents = new HashMap<>();
    private final java.util.concurrent.ExecutorService reporter = java.util.concurrent.Executors.newCachedThreadPool();
    private ManagerClient admin;
    private ManagerClient developer;
    private String imageVersion;
    private long demo;
    private String token;
    private final Map<String, BigInteger> expectedBalances = new LinkedHashMap<>();
    private long headBeforeKill;

    @BeforeAll
    void startNetwork() throws Exception {
        runtime = new DockerContainerRuntime("unix:///var/run/docker.sock");
        assertThat(runtime.ping()).as("a Docker engine must answer on /var/run/docker.sock (./flotilla starts one)").isTrue();
        network = TestNetwork.start();
        admin = network.client(TestNetwork.account(0));
        developer = network.client(DEVELOPER);
        network.useRotationDelay(admin, ROTATION_DELAY);
        String image = TestNetwork.subnodeImage(network.root);
        imageVersion = "e2e-" + image.substring("sha256:".length(), "sha256:".length() + 12);
        admin.publishImage(imageVersion, image, "subnode");
        for (int i = 11; i <= 16; i++) {
            SimulatedNode node = new SimulatedNode(network, runtime, i, TestNetwork.account(i - 10), Duration.ofSeconds(2), LIVENESS_THRESHOLD);
            nodes.add(node);
            startAgent(node);
        }
    }

    /** The agent's production loop for one node: polls contract events, resyncs, probes its chains' peers. */
    private void startAgent(SimulatedNode node) throws IOException {
        // A member first seen (joined by rotation) is not judged for 45 s: its subnode starts and catches up first.
        ReconcileLoop loop = node.loop(Duration.ofMillis(300), Duration.ofSeconds(5),
                new io.flotilla.agent.liveness.PeerProber.Policy(LIVENESS_THRESHOLD, Duration.ofSeconds(45), 10, 3_000_000), reporter);
        node.agent.reconcile();
        loop.start();
        agents.put(node.id, loop);
    }

    @AfterAll
    void stopNetwork() throws Exception {
        agents.values().forEach(ReconcileLoop::close);
        reporter.shutdownNow();
        for (SimulatedNode node : nodes) {
            for (ObservedContainer c : runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id))) {
                runtime.removeContainer(c.id());
            }
            runtime.listVolumes(Names.nodeSelector(network.book.networkId(), node.id)).forEach(v -> runtime.removeVolume(v.name()));
            node.removeIsolation();
        }
        if (network != null) network.close();
        if (runtime != null) runtime.close();
    }

    @Test
    @Order(1)
    void aDev4ChainRunsOneLimitedSubnodePerMemberAndServesJsonRpc() throws Exception {
        demo = developer.createSidechain("demo", "dev4", Duration.ofDays(30), "bft", imageVersion);
        ChainInfo chain = developer.chain(demo);
        await("four running subnodes of demo", Duration.ofSeconds(60), () -> running(demo).equals(Set.copyOf(chain.members())));
        for (ObservedContainer c : containersOf(demo)) {
            JsonNode host = JSON.readTree(TestNetwork.run(network.root, Map.of(), "docker", "inspect", c.id())).get(0).get("HostConfig");
            assertThat(host.get("CpuQuota").asLong()).as("dev4 CPU quota").isEqualTo(21_875);
            assertThat(host.get("Memory").asLong()).as("dev4 memory").isEqualTo(224L << 20);
            assertThat(host.get("ReadonlyRootfs").asBoolean()).isTrue();
        }
        for (Web3j rpc : rpcOf(demo).values()) {
            awaitRpc(rpc, demo);
        }
    }

    @Test
    @Order(2)
    void anErc20AndTwoHundredTransfersGiveEveryMemberTheSameBlocksAndBalances() throws Exception {
        Map<Long, Web3j> members = rpcOf(demo);
        Web3j via = members.values().iterator().next();
        long evmChainId = 0x464C0000L + demo;
        String bytecode = JSON.readTree(network.root.resolve("artifacts/contracts/bench/BenchToken.sol/BenchToken.json").toFile()).get("bytecode").asText();
        String deployData = bytecode + FunctionEncoder.encodeConstructor(List.of(new Uint256(BigInteger.TEN.pow(24))));
        BigInteger nonce = via.ethGetTransactionCount(DEVELOPER.getAddress(), DefaultBlockParameterName.PENDING).send().getTransactionCount();
        String deployHash = send(via, evmChainId, RawTransaction.createContractTransaction(nonce, GAS_PRICE, BigInteger.valueOf(3_000_000),
                BigInteger.ZERO, deployData));
        token = awaitReceipt(via, deployHash, Duration.ofSeconds(60)).getContractAddress();
        assertThat(token).isNotNull();

        List<String> hashes = new ArrayList<>();
        for (int k = 0; k < TRANSFERS; k++) {
            String to = String.format("0x%040x", 0xE2E000 + k % 40);
            BigInteger amount = BigInteger.valueOf(1_000 + k);
            String data = FunctionEncoder.encode(new Function("transfer", List.of(new Address(to), new Uint256(amount)), List.of()));
            hashes.add(send(via, evmChainId, RawTransaction.createTransaction(nonce.add(BigInteger.valueOf(k + 1)), GAS_PRICE,
                    BigInteger.valueOf(100_000), token, data)));
            expectedBalances.merge(to, amount, BigInteger::add);
        }
        for (String h : hashes) {
            assertThat(awaitReceipt(via, h, Duration.ofSeconds(120)).isStatusOK()).as("transfer %s", h).isTrue();
        }
        assertSameChainEverywhere(members.values(), hashes);
        headBeforeKill = via.ethBlockNumber().send().getBlockNumber().longValueExact();
    }

    @Test
    @Order(3)
    void aHardKilledMemberIsRotatedOutUnderLoadWithoutLosingATransferAndASpareCatchesUp() throws Exception {
        ChainInfo before = developer.chain(demo);
        SimulatedNode dead = node(before.members().get(1));
        long evmChainId = 0x464C0000L + demo;
        // A user sends a transfer every 250 ms through a member that stays, all through the kill and the rotation.
        Web3j stays = rpcOf(demo).get(before.members().get(0));
        BigInteger first = stays.ethGetTransactionCount(DEVELOPER.getAddress(), DefaultBlockParameterName.PENDING).send().getTransactionCount();
        TransferLoad load = new TransferLoad(stays, evmChainId, DEVELOPER, token, GAS_PRICE, first);
        load.start(Duration.ofMillis(250));
        TestNetwork.pause(Duration.ofSeconds(3));
        // Hard kill: the node's agent stops and its containers die with it.
        Instant killed = Instant.now();
        agents.remove(dead.id).close();
        for (ObservedContainer c : runtime.listContainers(Names.nodeSelector(network.book.networkId(), dead.id))) {
            TestNetwork.run(network.root, Map.of(), "docker", "kill", c.id());
        }
        TransferLoad.Result result;
        double recovery;
        double rotatedAfter = -1;
        try {
            await("the members to report the dead node and the contracts to rotate it out", Duration.ofSeconds(120),
                    () -> !developer.chain(demo).members().contains(dead.id));
            rotatedAfter = Duration.between(killed, Instant.now()).toMillis() / 1000.0;
            Rotation rotation = developer.rotationsOf(demo).getLast();
            assertThat(rotation.reason()).isEqualTo(Rotation.Reason.LIVENESS);
            assertThat(rotation.leavingNode()).isEqualTo(dead.id);
            long spare = rotation.joiningNode();
            assertThat(before.members()).doesNotContain(spare);

            Set<Long> current = Set.copyOf(developer.chain(demo).members());
            await("a subnode on every current member, the spare included", Duration.ofSeconds(60), () -> running(demo).containsAll(current));
            Web3j joined = rpcOf(demo).get(spare);
            awaitRpc(joined, demo);
            await("the spare's subnode to serve the head", Duration.ofSeconds(120), () -> blockNumber(joined) >= blockNumber(stays) - 1);
            recovery = Duration.between(killed, Instant.now()).toMillis() / 1000.0;
            TestNetwork.pause(Duration.ofSeconds(5)); // traffic goes on with the new member set
        } finally {
            result = load.finish(Duration.ofSeconds(120));
            load.close();
        }
        System.out.println(result.json(recovery));
        assertThat(result.accepted()).as("transfers accepted during the rotation").isGreaterThan(40);
        assertThat(result.lost()).as("accepted transfers never included").isEmpty();
        assertThat(result.longestGap()).as("longest gap between two included transfers (ended %s s after the kill, rotation at %s s)",
                Duration.between(killed, result.gapEnd()).toMillis() / 1000.0, rotatedAfter).isLessThanOrEqualTo(Duration.ofSeconds(3));
        load.amounts().forEach((to, amount) -> expectedBalances.merge(to, amount, BigInteger::add));
        Map<Long, Web3j> members = rpcOf(demo);

        // The chain keeps finalizing with its new member set: more transfers land on every member.
        Web3j via = members.get(before.members().get(0));
        BigInteger nonce = via.ethGetTransactionCount(DEVELOPER.getAddress(), DefaultBlockParameterName.PENDING).send().getTransactionCount();
        List<String> more = new ArrayList<>();
        for (int k = 0; k < 20; k++) {
            String to = String.format("0x%040x", 0xE2E000 + k);
            String data = FunctionEncoder.encode(new Function("transfer", List.of(new Address(to), new Uint256(BigInteger.ONE)), List.of()));
            more.add(send(via, evmChainId, RawTransaction.createTransaction(nonce.add(BigInteger.valueOf(k)), GAS_PRICE,
                    BigInteger.valueOf(100_000), token, data)));
            expectedBalances.merge(to, BigInteger.ONE, BigInteger::add);
        }
        for (String h : more) {
            assertThat(awaitReceipt(via, h, Duration.ofSeconds(180)).isStatusOK()).isTrue();
        }
        assertSameChainEverywhere(members.values(), more);
    }

    @Test
    @Order(4)
    void aSecondChainSharesTheNodesWithItsOwnLimitsPortsAndData() throws Exception {
        // The second chain runs the other consensus engine (the deployment enables both): either engine runs on a devnet.
        long second = developer.createSidechain("second", "dev4", Duration.ofDays(30), "hotstuff", imageVersion);
        assertThat(developer.chain(second).consensus()).isEqualTo("hotstuff");
        Set<Long> members = Set.copyOf(developer.chain(second).members());
        await("four running subnodes of the second chain", Duration.ofSeconds(60), () -> running(second).equals(members));
        for (Web3j rpc : rpcOf(second).values()) awaitRpc(rpc, second);

        for (SimulatedNode node : nodes) {
            List<ObservedContainer> mine = runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id)).stream()
                    .filter(c -> c.state() == ContainerState.RUNNING).toList();
            if (mine.size() < 2) continue;
            // Two chains on one node: distinct port slots and distinct data volumes.
            Set<Integer> slots = new java.util.HashSet<>();
            for (String chainName : List.of("demo", "second")) {
                if (Files.exists(node.configOf(chainName))) slots.add(JSON.readTree(Files.readString(node.configOf(chainName))).get("slot").asInt());
            }
            if (Files.exists(node.configOf("second"))) {
                assertThat(JSON.readTree(Files.readString(node.configOf("second"))).path("consensus").path("engine").asText()).isEqualTo("hotstuff");
            }
            assertThat(slots).as("slots on node %d", node.id).hasSize(2);
            assertThat(runtime.listVolumes(Names.nodeSelector(network.book.networkId(), node.id)).stream().map(v -> v.name()).distinct().count()).isGreaterThanOrEqualTo(2);
        }
        // Each chain is its own ledger: the token exists on demo only, and a transfer on the second chain works.
        Web3j onSecond = rpcOf(second).values().iterator().next();
        assertThat(onSecond.ethGetCode(token, DefaultBlockParameterName.LATEST).send().getCode()).isEqualTo("0x");
        long evmChainId = 0x464C0000L + second;
        String h = send(onSecond, evmChainId, RawTransaction.createEtherTransaction(BigInteger.ZERO, GAS_PRICE, BigInteger.valueOf(21_000),
                "0x000000000000000000000000000000000000e2e2", BigInteger.TEN));
        assertThat(awaitReceipt(onSecond, h, Duration.ofSeconds(60)).isStatusOK()).isTrue();
        assertThat(balanceOfOnEveryMember(demo)).allSatisfy((member, balances) -> assertThat(balances).isEqualTo(expectedBalances));
    }

    @Test
    @Order(5)
    void aNodeExitRotatesEveryChainOfTheNodeAndItsSubnodesStopAfterFinishAt() throws Exception {
        long second = developer.chainIdOf("second");
        Set<Long> both = new java.util.HashSet<>(developer.chain(demo).members());
        both.retainAll(developer.chain(second).members());
        SimulatedNode leaving = node(both.isEmpty() ? developer.chain(demo).members().get(0) : both.iterator().next());
        List<Long> chainsOfLeaving = List.of(demo, second).stream().filter(c -> developer.chain(c).members().contains(leaving.id)).toList();
        leaving.client.initiateExit(leaving.id);
        // The agents (the leaving node's own among them) request and finalize the exit rotations of its chains.
        await("the agents to rotate the leaving node out of every chain and mark it Left", Duration.ofSeconds(60),
                () -> leaving.client.node(leaving.id).status() == NodeStatus.LEFT);
        Instant finishAt = Instant.EPOCH;
        for (long chain : chainsOfLeaving) {
            Rotation r = developer.rotationsOf(chain).getLast();
            assertThat(r.reason()).isEqualTo(Rotation.Reason.NODE_EXIT);
            assertThat(r.leavingNode()).isEqualTo(leaving.id);
            assertThat(developer.chain(chain).members()).doesNotContain(leaving.id);
            finishAt = r.finishAt().isAfter(finishAt) ? r.finishAt() : finishAt;
        }
        // Until finishAt the leaving subnodes still serve.
        assertThat(runtime.listContainers(Names.nodeSelector(network.book.networkId(), leaving.id))).hasSize(chainsOfLeaving.size())
                .allMatch(c -> c.state() == ContainerState.RUNNING);
        Instant until = finishAt.plusSeconds(15);
        await("the leaving node's subnodes to stop after finishAt", Duration.between(Instant.now(), until).plusSeconds(30),
                () -> runtime.listContainers(Names.nodeSelector(network.book.networkId(), leaving.id)).isEmpty());
        for (long chain : chainsOfLeaving) {
            Set<Long> members = Set.copyOf(developer.chain(chain).members());
            await("the new members of chain " + chain, Duration.ofSeconds(60), () -> running(chain).containsAll(members));
        }
    }

    @Test
    @Order(6)
    void anImageWhoseDigestIsNotInTheRegistryIsRefusedByEveryAgent() {
        admin.publishImage("e2e-bogus", "sha256:" + "ee".repeat(32), "subnode");
        long bogus = developer.createSidechain("bogus", "dev4", Duration.ofDays(1), "bft", "e2e-bogus");
        List<Long> members = developer.chain(bogus).members();
        await("every member's agent to refuse the image", Duration.ofSeconds(30), () -> members.stream().allMatch(m ->
                node(m).status.snapshot().problems().stream().anyMatch(p -> p.contains("refused") && p.contains("ee".repeat(32)))));
        assertThat(containersOf(bogus)).isEmpty();
    }

    // ---- helpers ----

    private String send(Web3j rpc, long evmChainId, RawTransaction tx) throws IOException {
        var sent = rpc.ethSendRawTransaction(Numeric.toHexString(TransactionEncoder.signMessage(tx, evmChainId, DEVELOPER))).send();
        assertThat(sent.hasError()).as("send: %s", sent.getError() == null ? "" : sent.getError().getMessage()).isFalse();
        return sent.getTransactionHash();
    }

    private static TransactionReceipt awaitReceipt(Web3j rpc, String hash, Duration limit) throws Exception {
        Instant deadline = Instant.now().plus(limit);
        while (true) {
            Optional<TransactionReceipt> r = rpc.ethGetTransactionReceipt(hash).send().getTransactionReceipt();
            if (r.isPresent()) return r.get();
            if (Instant.now().isAfter(deadline)) throw new AssertionError("no receipt for " + hash + " within " + limit);
            Thread.sleep(200);
        }
    }

    /** Every member has every transaction, the same blocks up to the common head, and the same token balances. */
    private void assertSameChainEverywhere(java.util.Collection<Web3j> members, List<String> hashes) throws Exception {
        for (Web3j rpc : members) {
            for (String h : hashes) awaitReceipt(rpc, h, Duration.ofSeconds(120));
        }
        long common = members.stream().mapToLong(EndToEndTest::blockNumber).min().orElseThrow();
        Web3j first = members.iterator().next();
        for (long n = 1; n <= common; n++) {
            String expected = blockHash(first, n);
            for (Web3j rpc : members) assertThat(blockHash(rpc, n)).as("block %d", n).isEqualTo(expected);
        }
        for (Web3j rpc : members) {
            for (Map.Entry<String, BigInteger> e : expectedBalances.entrySet()) {
                assertThat(balanceOf(rpc, e.getKey())).as("balance of %s", e.getKey()).isEqualTo(e.getValue());
            }
        }
    }

    private Map<Long, Map<String, BigInteger>> balanceOfOnEveryMember(long chain) throws Exception {
        Map<Long, Map<String, BigInteger>> out = new HashMap<>();
        for (Map.Entry<Long, Web3j> m : rpcOf(chain).entrySet()) {
            Map<String, BigInteger> balances = new LinkedHashMap<>();
            for (String holder : expectedBalances.keySet()) balances.put(holder, balanceOf(m.getValue(), holder));
            out.put(m.getKey(), balances);
        }
        return out;
    }

    private BigInteger balanceOf(Web3j rpc, String holder) throws IOException {
        Function f = new Function("balanceOf", List.of(new Address(holder)), List.of(new TypeReference<Uint256>() {}));
        String out = rpc.ethCall(Transaction.createEthCallTransaction(DEVELOPER.getAddress(), token, FunctionEncoder.encode(f)),
                DefaultBlockParameterName.LATEST).send().getValue();
        return (BigInteger) FunctionReturnDecoder.decode(out, f.getOutputParameters()).get(0).getValue();
    }

    private static String blockHash(Web3j rpc, long n) throws IOException {
        return rpc.ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(n)), false).send().getBlock().getHash();
    }

    private static long blockNumber(Web3j rpc) {
        try {
            return rpc.ethBlockNumber().send().getBlockNumber().longValueExact();
        } catch (Exception e) {
            return -1;
        }
    }

    private void awaitRpc(Web3j rpc, long chain) throws InterruptedException {
        // The subnode's JVM starts on a fifth of a core (dev4).
        await("JSON-RPC of chain " + chain, Duration.ofSeconds(120), () -> {
            try {
                return rpc.ethChainId().send().getChainId().longValueExact() == 0x464C0000L + chain;
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** Each current member's JSON-RPC endpoint, from the config its agent wrote. */
    private Map<Long, Web3j> rpcOf(long chainId) throws IOException {
        ChainInfo chain = developer.chain(chainId);
        Map<Long, Web3j> out = new LinkedHashMap<>();
        for (long member : chain.members()) {
            SimulatedNode node = node(member);
            int rpcPort = JSON.readTree(Files.readString(node.configOf(chain.name()))).get("ports").get("rpcHttp").asInt();
            out.put(member, Web3j.build(new HttpService("http://" + node.ip + ":" + rpcPort)));
        }
        return out;
    }

    private Set<Long> running(long chainId) {
        return containersOf(chainId).stream().filter(c -> c.state() == ContainerState.RUNNING)
                .map(c -> Long.parseLong(c.labels().get(Names.LABEL_NODE))).collect(Collectors.toSet());
    }

    private List<ObservedContainer> containersOf(long chainId) {
        return runtime.listContainers(Map.of(Names.LABEL_MANAGED, "true", Names.LABEL_NETWORK, network.book.networkId(), Names.LABEL_CHAIN, Long.toString(chainId)));
    }

    private SimulatedNode node(long id) {
        return nodes.stream().filter(n -> n.id == id).findFirst().orElseThrow();
    }

    private String describe() {
        StringBuilder b = new StringBuilder();
        for (SimulatedNode n : nodes) {
            b.append("\n  node ").append(n.id).append(" ").append(n.ip).append(" problems ").append(n.status.snapshot().problems())
                    .append(" containers ").append(runtime.listContainers(Names.nodeSelector(network.book.networkId(), n.id)).stream()
                            .map(c -> c.name() + ":" + c.state()).toList());
        }
        return b.toString();
    }

    private void await(String what, Duration limit, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(limit);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) throw new AssertionError("timed out waiting for " + what + describe());
            TestNetwork.pause(Duration.ofMillis(250));
        }
    }
}
