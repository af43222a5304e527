package io.flotilla.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.agent.liveness.PeerProber;
import io.flotilla.agent.plan.Names;
import io.flotilla.agent.reconcile.ReconcileLoop;
import io.flotilla.agent.runtime.DockerContainerRuntime;
import io.flotilla.agent.runtime.ObservedContainer;
import io.flotilla.manager.ChainInfo;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.NodeInfo;
import io.flotilla.manager.NodeStatus;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.crypto.Wallet;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * Issue 17's install test: a validator installs the agent on a clean Debian server with its own Docker engine
 * ({@link TestServer}, Docker in Docker) from the built artifacts, exactly as docs/agent.md "Step by step" says
 * (`node init`, `node check`, `node register`, `node install-service`, then the command line of the installed systemd
 * unit), and its node serves a dev4 chain with three other nodes of the network (agents on this host, as in
 * {@link EndToEndTest}), on a Hardhat node with the contracts deployed by deploy/deploy.js and the real subnode image.
 *
 * <p>Runs in Maven's integration-test phase (after `package`, so the agent's jar is the one `./flotilla setup` builds).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class ServerInstallIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The server's public IP: one more loopback address (host nodes 101-103 are 127.0.0.121-123). */
    private static final String SERVER_IP = "127.0.0.124";
    /** The server's validator (Hardhat account 4) and the chain's owner (account 9). */
    private static final Credentials VALIDATOR = TestNetwork.account(4);
    private static final Credentials DEVELOPER = TestNetwork.account(9);
    private static final BigInteger GAS_PRICE = BigInteger.valueOf(1_000_000_000L);
    /** Peers are judged only after this long: the test is about serving a chain, not about rotation. */
    private static final Duration LIVENESS_THRESHOLD = Duration.ofSeconds(120);

    private TestNetwork network;
    private DockerContainerRuntime runtime;
    private TestServer server;
    private final List<SimulatedNode> nodes = new ArrayList<>();
    private final Map<Long, ReconcileLoop> agents = new HashMap<>();
    private final ExecutorService reporter = Executors.newCachedThreadPool();
    private ManagerClient developer;
    private String imageVersion;
    private String imageId;
    private long serverNodeId;
    private long chainId;
    private final Map<String, Long> seconds = new LinkedHashMap<>();
    private Instant phase = Instant.now();

    @BeforeAll
    void startNetworkAndServer() throws Exception {
        runtime = new DockerContainerRuntime("unix:///var/run/docker.sock");
        assertThat(runtime.ping()).as("a Docker engine must answer on /var/run/docker.sock (./flotilla starts one)").isTrue();
        network = TestNetwork.start();
        ManagerClient admin = network.client(TestNetwork.account(0));
        developer = network.client(DEVELOPER);
        imageId = TestNetwork.subnodeImage(network.root);
        imageVersion = "srv-" + imageId.substring("sha256:".length(), "sha256:".length() + 12);
        admin.publishImage(imageVersion, imageId, "subnode");
        for (int i = 101; i <= 103; i++) {
            SimulatedNode node = new SimulatedNode(network, runtime, i, TestNetwork.account(i - 100), Duration.ofSeconds(2), LIVENESS_THRESHOLD);
            nodes.add(node);
            ReconcileLoop loop = node.loop(Duration.ofMillis(300), Duration.ofSeconds(5),
                    new PeerProber.Policy(LIVENESS_THRESHOLD, Duration.ofSeconds(120), 10, 3_000_000), reporter);
            node.agent.reconcile();
            loop.start();
            agents.put(node.id, loop);
        }
        mark("network: Hardhat node, contracts, subnode image, three host nodes");
        server = TestServer.start(network.root, Path.of(System.getProperty("java.home")));
        server.loadImage(network.root, imageId);
        server.copyCheckout(network.root, agentJar(network.root));
        // The address book of the deployment, as the operator downloads it from the network's operators.
        server.write("/root/31337.json", Files.readString(network.bookFile), "0644");
        mark("server: Debian container, its dockerd, the subnode image loaded, the checkout copied");
    }

    @AfterAll
    void stopEverything() throws Exception {
        agents.values().forEach(ReconcileLoop::close);
        reporter.shutdownNow();
        if (server != null) server.close();
        for (SimulatedNode node : nodes) {
            for (ObservedContainer c : runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id))) {
                runtime.removeContainer(c.id());
            }
            runtime.listVolumes(Names.nodeSelector(network.book.networkId(), node.id)).forEach(v -> runtime.removeVolume(v.name()));
            node.removeIsolation();
        }
        if (network != null) network.close();
        if (runtime != null) runtime.close();
        System.out.println(JSON.writeValueAsString(Map.of("test", "ServerInstallIT", "seconds", seconds)));
    }

    @Test
    @Order(1)
    void aValidatorInstallsTheAgentOnACleanDebianServerFromTheBuiltArtifacts() throws Exception {
        // Nothing of Flotilla is on the server before: no agent, no configuration, no Java on the PATH.
        assertThat(server.exec("test", "-e", "/etc/flotilla").exitCode()).isNotZero();
        assertThat(server.exec("bash", "-c", "command -v java node npx").exitCode()).isNotZero();
        assertThat(server.sh("docker version --format '{{.Server.Version}}'").strip()).startsWith("20.10");

        String init = server.sh("./flotilla node init --non-interactive --rpc-url " + network.rpcUrl + " --ip " + SERVER_IP
                + " --address-book /root/31337.json --disk-gib 20");
        assertThat(server.sh("stat -c '%a %n' /etc/flotilla/agent.yml /etc/flotilla/node-key.json /etc/flotilla/node-key.password"))
                .contains("640 /etc/flotilla/agent.yml", "600 /etc/flotilla/node-key.json", "600 /etc/flotilla/node-key.password");
        String config = server.sh("cat /etc/flotilla/agent.yml");
        assertThat(config).as("node init writes every setting").containsPattern("(?m)^    firewall-table: \"flotilla\"$");
        assertThat(config).as(init).contains("ip: \"" + SERVER_IP + "\"", "manager-rpc-url: \"" + network.rpcUrl + "\"");

        TestServer.Result check = server.exec("bash", "-c", "cd " + server.checkout + " && ./flotilla node check");
        assertThat(check.exitCode()).as("node check on the fresh server:\n%s", check.output()).isZero();
        for (String name : List.of("docker", "cgroups", "ports", "ethereum", "addresses", "registered")) {
            assertThat(check.stdout()).as(check.output()).containsPattern("(?m)^ok\\s+" + name + "\\b");
        }
        assertThat(check.stdout()).doesNotContain("FAIL");

        // The operator's edits (docs/agent.md, "Tests"): this 2-core machine declares 16 cores as the devnet does, so a dev4
        // subnode gets a whole core; the status API and the firewall table get names of their own, since the server
        // shares the host's network namespace with the other test nodes.
        server.write("/etc/flotilla/agent.yml", config
                .replaceFirst("(?m)^(      cpu-millicores:) .*$", "$1 16000")
                .replaceFirst("(?m)^(  address:) \"127\\.0\\.0\\.1\"$", "$1 \"" + SERVER_IP + "\"")
                .replaceFirst("(?m)^(    firewall-table:) .*$", "$1 \"flotilla_it_server\""), "0640");

        // The validator's own key, kept off the server's configuration.
        server.write("/root/validator.password", "validator-secret\n", "0600");
        server.write("/root/validator.json", JSON.writeValueAsString(Wallet.createLight("validator-secret", VALIDATOR.getEcKeyPair())), "0600");
        String register = server.sh("./flotilla node register --name server --validator-keystore /root/validator.json"
                + " --validator-password-file /root/validator.password --stake 2");
        String nodeAddress = "0x" + JSON.readTree(server.sh("cat /etc/flotilla/node-key.json")).get("address").asText();
        NodeInfo node = developer.nodeByAddress(nodeAddress).orElseThrow(() -> new AssertionError("node not registered: " + register));
        serverNodeId = node.id();
        assertThat(node.ip()).isEqualTo(SERVER_IP);
        assertThat(node.status()).isEqualTo(NodeStatus.ACTIVE);
        assertThat(node.cpuMillicores()).isEqualTo(16000);

        String install = server.sh("./flotilla node install-service");
        assertThat(install).contains("/opt/flotilla/flotilla-agent.jar", "systemd is not running here");
        assertThat(server.sh("cmp /opt/flotilla/flotilla-agent.jar " + server.checkout + "/" + network.root.relativize(agentJar(network.root))
                + " && echo same")).contains("same");
        mark("install: node init, node check, node register, node install-service");
    }

    @Test
    @Order(2)
    void theServersNodeServesAChainWithTheNetworksOtherNodes() throws Exception {
        assertThat(serverNodeId).as("the install (the first test) did not finish").isPositive();
        // The container has no systemd: run exactly the command line of the installed unit, as root like the unit.
        String unit = server.sh("cat /etc/systemd/system/flotilla-agent.service");
        Matcher exec = Pattern.compile("(?m)^ExecStart=(.*)$").matcher(unit);
        assertThat(exec.find()).as(unit).isTrue();
        assertThat(unit).contains("User=root");
        server.startDetached("echo $$ > /run/flotilla-agent.pid; exec " + exec.group(1) + " >/var/log/flotilla-agent.log 2>&1");
        String status = "http://" + SERVER_IP + ":8080/api/v1/node";
        await("the server's agent answering on " + status, Duration.ofSeconds(120), () -> httpGet(status).isPresent());
        mark("agent: started from the unit's command line");

        chainId = developer.createSidechain("served", "dev4", Duration.ofDays(30), "bft", imageVersion);
        ChainInfo chain = developer.chain(chainId);
        assertThat(chain.members()).as("a dev4 chain on a network of four nodes takes all four").hasSize(4).contains(serverNodeId);

        // The server's subnode runs in the server's own engine, not in this host's.
        String selector = Names.LABEL_CHAIN + "=" + chainId;
        await("the server's subnode running in its own engine", Duration.ofSeconds(120), () -> {
            try {
                return server.sh("docker ps --filter label=" + selector + " --filter status=running -q").strip().length() > 0;
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(runtime.listContainers(Names.nodeSelector(network.book.networkId(), serverNodeId))).isEmpty();

        Map<Long, Web3j> members = rpcOf(chain);
        Web3j served = members.get(serverNodeId);
        long evmChainId = 0x464C0000L + chainId;
        for (Map.Entry<Long, Web3j> m : members.entrySet()) {
            await("JSON-RPC of node " + m.getKey(), Duration.ofSeconds(150), () -> {
                try {
                    return m.getValue().ethChainId().send().getChainId().longValueExact() == evmChainId;
                } catch (Exception e) {
                    return false;
                }
            });
        }
        mark("chain: four subnodes answering JSON-RPC");

        // It finalizes blocks with the others: its head advances, and a transfer sent through it is in a block that
        // every member holds with the same hash.
        long before = blockNumber(served);
        await("the server's member finalizing new blocks", Duration.ofSeconds(60), () -> blockNumber(served) >= before + 2);
        String to = "0x00000000000000000000000000000000005e7e12";
        var tx = RawTransaction.createEtherTransaction(served.ethGetTransactionCount(DEVELOPER.getAddress(), DefaultBlockParameterName.PENDING)
                .send().getTransactionCount(), GAS_PRICE, BigInteger.valueOf(21_000), to, BigInteger.TEN.pow(18));
        var sent = served.ethSendRawTransaction(Numeric.toHexString(TransactionEncoder.signMessage(tx, evmChainId, DEVELOPER))).send();
        assertThat(sent.hasError()).as("send through the server's member: %s", sent.getError() == null ? "" : sent.getError().getMessage()).isFalse();
        TransactionReceipt receipt = awaitReceipt(served, sent.getTransactionHash(), Duration.ofSeconds(90));
        assertThat(receipt.isStatusOK()).isTrue();
        for (Map.Entry<Long, Web3j> m : members.entrySet()) {
            TransactionReceipt r = awaitReceipt(m.getValue(), sent.getTransactionHash(), Duration.ofSeconds(60));
            assertThat(r.getBlockHash()).as("the transfer's block on node %d", m.getKey()).isEqualTo(receipt.getBlockHash());
            assertThat(m.getValue().ethGetBalance(to, DefaultBlockParameter.valueOf(receipt.getBlockNumber())).send().getBalance())
                    .isEqualTo(BigInteger.TEN.pow(18));
        }
        // The server's agent knows itself and its subnode, and isolates it as the root service does: the subnode's
        // volume is its own loop-mounted file system and its firewall table is in place.
        JsonNode nodeStatus = JSON.readTree(httpGet(status).orElseThrow());
        assertThat(nodeStatus.get("nodeId").asLong()).as(nodeStatus.toString()).isEqualTo(serverNodeId);
        assertThat(nodeStatus.get("subnodes").asInt()).as(nodeStatus.toString()).isEqualTo(1);
        assertThat(httpGet("http://" + SERVER_IP + ":8080/api/v1/chains/" + chainId)).isPresent();
        assertThat(server.sh("grep ' /var/lib/flotilla/volumes/' /proc/mounts")).contains("ext4");
        assertThat(server.sh("nft list table inet flotilla_it_server")).contains("chain output", "chain slot_");
        System.out.println("server's agent: " + nodeStatus);
        mark("chain: the server's member finalizes with the others");
    }

    /** Each member's JSON-RPC endpoint, from the config its agent wrote (the server's: read in the server). */
    private Map<Long, Web3j> rpcOf(ChainInfo chain) throws Exception {
        Map<Long, Web3j> out = new LinkedHashMap<>();
        for (long member : chain.members()) {
            String container = Names.container(network.book.networkId(), chain.name(), member);
            String ip;
            String config;
            if (member == serverNodeId) {
                ip = SERVER_IP;
                config = server.sh("cat /var/lib/flotilla/subnodes/" + container + "/config.json");
            } else {
                SimulatedNode node = nodes.stream().filter(n -> n.id == member).findFirst().orElseThrow();
                ip = node.ip;
                config = Files.readString(node.configOf(chain.name()));
            }
            int port = JSON.readTree(config).get("ports").get("rpcHttp").asInt();
            out.put(member, Web3j.build(new HttpService("http://" + ip + ":" + port)));
        }
        return out;
    }

    private static Path agentJar(Path root) throws IOException {
        try (var files = Files.list(root.resolve("java/agent/target"))) {
            return files.filter(p -> p.getFileName().toString().matches("flotilla-agent-.*\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no agent jar in java/agent/target: this test runs after `package`"));
        }
    }

    private static Optional<String> httpGet(String url) {
        try (var client = java.net.http.HttpClient.newHttpClient()) {
            var response = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? Optional.of(response.body()) : Optional.empty();
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private static long blockNumber(Web3j rpc) {
        try {
            return rpc.ethBlockNumber().send().getBlockNumber().longValueExact();
        } catch (Exception e) {
            return -1;
        }
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

    private void mark(String what) {
        Instant now = Instant.now();
        seconds.put(what, Duration.between(phase, now).toSeconds());
        phase = now;
    }

    private void await(String what, Duration limit, BooleanSupplier condition) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting for " + what + "\nserver's agent log (tail):\n"
                        + server.exec("tail", "-n", "40", "/var/log/flotilla-agent.log").output()
                        + "\nserver's containers:\n" + server.exec("docker", "ps", "-a").output());
            }
            TestNetwork.pause(Duration.ofMillis(500));
        }
    }
}
