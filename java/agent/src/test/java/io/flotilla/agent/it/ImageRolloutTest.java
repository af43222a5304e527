package io.flotilla.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.liveness.SubnodeRpc;
import io.flotilla.agent.plan.Names;
import io.flotilla.agent.plan.Rollout;
import io.flotilla.agent.reconcile.ReconcileLoop;
import io.flotilla.agent.runtime.DockerContainerRuntime;
import io.flotilla.agent.runtime.ObservedContainer;
import io.flotilla.agent.runtime.ObservedContainer.ContainerState;
import io.flotilla.manager.ManagerClient;
import io.flotilla.subnode.config.PortLayout;
import io.micrometer.core.instrument.Counter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Image rollout (docs/agent.md, "Image rollout") with real parts: a Hardhat node with the contracts, four nodes on
 * 127.0.0.91-94 each running the agent's production loop, the Docker engine and stand-in subnode images. The chain's
 * owner moves the chain to a newly published version: the members take it one at a time in node id order, and at
 * every moment at least three of the four answer finalizing. Then a version that never finalizes is published: the
 * first member takes it, does not finalize, and its agent puts it back on the previous digest; no other member ever
 * runs the broken version, and the rolled-back member does not try it again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class ImageRolloutTest {

    private static final Duration STAGGER = Duration.ofSeconds(4);
    private static final Duration GRACE = Duration.ofSeconds(15);
    /** Long enough that nobody reports a member down here: liveness is not what this test is about. */
    private static final Duration LIVENESS = Duration.ofMinutes(10);
    private static final String GOOD = "standin-rollout-good";
    private static final String BROKEN = "standin-rollout-stalled";

    private TestNetwork network;
    private DockerContainerRuntime runtime;
    private final List<SimulatedNode> nodes = new ArrayList<>();
    private final List<ReconcileLoop> loops = new ArrayList<>();
    private final List<String> tags = new ArrayList<>();
    private final SubnodeRpc rpc = new SubnodeRpc(Duration.ofSeconds(2));
    private ManagerClient developer;
    private ManagerClient admin;
    private long chain;
    private String good;
    private String broken;
    /** Each node's port slot for the chain. */
    private final Map<Long, Integer> slots = new HashMap<>();

    @BeforeAll
    void start() throws Exception {
        runtime = new DockerContainerRuntime("unix:///var/run/docker.sock");
        assertThat(runtime.ping()).as("a Docker engine must answer on /var/run/docker.sock (./flotilla starts one)").isTrue();
        network = TestNetwork.start();
        developer = network.client(TestNetwork.account(9));
        admin = network.client(TestNetwork.account(0));
        // Two more versions of the stand-in, each its own digest: one that works, one that answers but never finalizes.
        good = derive("flotilla/subnode-standin:rollout-good", "LABEL io.flotilla.test=rollout-good");
        broken = derive("flotilla/subnode-standin:rollout-stalled", "ENV FLOTILLA_STANDIN_STALLED=1");
        for (int i = 1; i <= 4; i++) {
            SimulatedNode node = new SimulatedNode(network, runtime, 70 + i, TestNetwork.account(i), Duration.ofHours(1), LIVENESS);
            node.restartAgent(STAGGER, Rollout.Policy.withGrace(GRACE));
            nodes.add(node);
            ReconcileLoop loop = node.loop(Duration.ofMillis(300), Duration.ofSeconds(3), Runnable::run);
            loop.start();
            loops.add(loop);
        }
    }

    /** Builds an image FROM the stand-in with one more Dockerfile line; returns its id. */
    private String derive(String tag, String line) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("docker", "build", "--pull=false", "--network", "none", "-q", "-t", tag, "-")
                .redirectErrorStream(true);
        pb.environment().put("DOCKER_BUILDKIT", "0");
        Process p = pb.start();
        p.getOutputStream().write(("FROM " + network.standinImageId + "\n" + line + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(2, TimeUnit.MINUTES) && p.exitValue() == 0).as("docker build %s: %s", tag, out).isTrue();
        tags.add(tag);
        String id = out.lines().reduce((a, b) -> b).orElseThrow();
        assertThat(id).startsWith("sha256:").isNotEqualTo(network.standinImageId);
        return id;
    }

    @AfterAll
    void stop() throws Exception {
        loops.forEach(ReconcileLoop::close);
        for (SimulatedNode node : nodes) {
            for (ObservedContainer c : runtime.listContainers(Names.nodeSelector(network.book.networkId(), node.id))) {
                runtime.removeContainer(c.id());
            }
            runtime.listVolumes(Names.nodeSelector(network.book.networkId(), node.id)).forEach(v -> runtime.removeVolume(v.name()));
            node.removeIsolation();
        }
        for (String tag : tags) {
            new ProcessBuilder("docker", "rmi", tag).redirectErrorStream(true).start().waitFor(1, TimeUnit.MINUTES);
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
    void aChainRunsOnFourMembers() {
        chain = developer.createSidechain("roll", "dev4", Duration.ofDays(1), "bft", TestNetwork.STANDIN_VERSION);
        await("four running subnodes on the first version", Duration.ofSeconds(60),
                () -> imageByNode().values().stream().filter(network.standinImageId::equals).count() == 4);
        for (SimulatedNode node : nodes) {
            slots.put(node.id, node.client.chainsOfNode(node.id).stream().filter(p -> p.chainId() == chain).findFirst().orElseThrow().slot());
        }
    }

    @Test
    @Order(2)
    void aNewVersionIsTakenOneMemberAtATimeInNodeIdOrderWhileTheChainKeepsFinalizing() throws Exception {
        admin.publishImage(GOOD, good, "subnode");
        Sampler sampler = new Sampler();
        Thread thread = Thread.ofPlatform().name("rollout-sampler").start(sampler);
        // The owner's command, as a developer runs it (./flotilla chain upgrade).
        Cli moved = cli("chain", "upgrade", "roll", GOOD);
        Instant changed = Instant.now(); // the command returns once the change is mined
        assertThat(moved.exit()).as(moved.output()).isZero();
        assertThat(moved.output()).contains("chain roll (id " + chain + ") moves from image " + TestNetwork.STANDIN_VERSION + " to " + GOOD
                + " (" + good + ")");
        try {
            await("every member on " + GOOD, Duration.ofSeconds(90),
                    () -> imageByNode().values().stream().filter(good::equals).count() == 4);
        } finally {
            sampler.stop.set(true);
            thread.join();
        }
        System.out.println("{\"bench\":\"image-rollout\",\"members\":4,\"seconds\":" + Duration.between(changed, Instant.now()).toMillis() / 1000.0
                + ",\"stagger_s\":" + STAGGER.toSeconds() + ",\"samples\":" + sampler.samples + "}");
        // Node id order (the rollout-at label of each member's new container), one at a time (never fewer than three of
        // the four members finalizing: a 4-member chain stops with two down).
        Map<Long, Instant> createdAt = new HashMap<>();
        containers().forEach(c -> createdAt.put(Long.parseLong(c.labels().get(Names.LABEL_NODE)), Instant.parse(c.labels().get(Names.LABEL_ROLLOUT_AT))));
        List<Long> order = createdAt.entrySet().stream().sorted(Map.Entry.comparingByValue()).map(Map.Entry::getKey).toList();
        assertThat(order).as("members in the order they moved to %s", GOOD).containsExactlyElementsOf(nodes.stream().map(n -> n.id).toList());
        assertThat(sampler.samples).isGreaterThan(20);
        assertThat(sampler.fewestFinalizing).as("members answering finalizing at the worst sample (of 4; quorum 3)").isGreaterThanOrEqualTo(3);
        for (ObservedContainer c : containers()) {
            assertThat(c.labels()).containsEntry(Names.LABEL_PREVIOUS_IMAGE_ID, network.standinImageId)
                    .containsEntry(Names.LABEL_IMAGE_VERSION, GOOD);
        }
        // A version that finalizes is kept past the grace period: nobody rolls it back.
        TestNetwork.pause(GRACE.plusSeconds(5));
        assertThat(imageByNode().values()).containsOnly(good);
        assertThat(rollbacks()).isZero();
        // Back to an older version, or a chain that is not the caller's: one line naming the refusal, nothing sent.
        Cli back = cli("chain", "upgrade", "roll", TestNetwork.STANDIN_VERSION);
        assertThat(back.exit()).isEqualTo(2);
        assertThat(back.output().strip()).startsWith("flotilla: ").contains("ImageNotNewer").doesNotContain("\n");
        assertThat(developer.chain(chain).imageVersion()).isEqualTo(GOOD);
    }

    record Cli(int exit, String output) {}

    /** Runs the agent's command line (what ./flotilla runs) in a child JVM as the chain's owner; standard error only. */
    private Cli cli(String... words) throws Exception {
        java.nio.file.Path key = network.work.resolve("developer.key");
        java.nio.file.Files.writeString(key, org.web3j.utils.Numeric.toHexStringNoPrefixZeroPadded(TestNetwork.account(9).getEcKeyPair().getPrivateKey(), 64) + "\n");
        List<String> command = new ArrayList<>(List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                "io.flotilla.agent.AgentApplication"));
        command.addAll(List.of(words));
        command.addAll(List.of("--rpc-url=" + network.rpcUrl, "--address-book=" + network.bookFile, "--private-key-file=" + key));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("the command ended").isTrue();
        // Spring's and web3j's log lines go to the same stream; the command's own words are the lines it prints.
        String own = out.lines().filter(l -> l.startsWith("chain ") || l.startsWith("flotilla: ")).reduce("", (a, b) -> a + b + "\n");
        return new Cli(p.exitValue(), own.isEmpty() ? out : own);
    }

    @Test
    @Order(3)
    void aVersionThatDoesNotFinalizeIsRolledBackToThePreviousDigestAndGoesNoFurther() throws Exception {
        admin.publishImage(BROKEN, broken, "subnode");
        SimulatedNode first = nodes.getFirst();
        Sampler sampler = new Sampler();
        Thread thread = Thread.ofPlatform().name("rollout-sampler").start(sampler);
        Instant changed = Instant.now();
        developer.changeImage(chain, BROKEN);
        try {
            await("the first member by node id on " + BROKEN, Duration.ofSeconds(30), () -> broken.equals(imageByNode().get(first.id)));
            Instant onBroken = Instant.now();
            await("the first member rolled back to " + GOOD, GRACE.plusSeconds(30), () -> good.equals(imageByNode().get(first.id)));
            Duration tried = Duration.between(onBroken, Instant.now());
            assertThat(tried).as("time on the broken version before the rollback").isGreaterThanOrEqualTo(GRACE.minusSeconds(3));
            System.out.println("{\"bench\":\"image-rollback\",\"grace_s\":" + GRACE.toSeconds() + ",\"seconds_on_broken\":"
                    + tried.toMillis() / 1000.0 + ",\"seconds_from_change\":" + Duration.between(changed, Instant.now()).toMillis() / 1000.0 + "}");
            // Held: well past every member's turn, nobody else takes the broken version and the first does not retry it.
            TestNetwork.pause(STAGGER.multipliedBy(4).plus(GRACE));
        } finally {
            sampler.stop.set(true);
            thread.join();
        }
        assertThat(sampler.firstOnBroken.keySet()).as("members that ever ran %s", BROKEN).containsExactly(first.id);
        assertThat(imageByNode()).containsOnlyKeys(nodes.stream().map(n -> n.id).toArray(Long[]::new)).allSatisfy((node, image) ->
                assertThat(image).as("node %d", node).isEqualTo(good));
        ObservedContainer rolledBack = containers().stream().filter(c -> c.labels().get(Names.LABEL_NODE).equals(Long.toString(first.id)))
                .findFirst().orElseThrow();
        assertThat(rolledBack.labels()).containsEntry(Names.LABEL_ROLLBACK_OF, broken).containsEntry(Names.LABEL_IMAGE_VERSION, GOOD);
        assertThat(rolledBack.state()).isEqualTo(ContainerState.RUNNING);
        assertThat(rollbacks()).isEqualTo(1);
        assertThat(first.status.snapshot().notices()).anySatisfy(n -> assertThat(n).contains("image " + BROKEN)
                .contains("did not finalize on this node").contains("holds the chain's rollout"));
        assertThat(first.status.snapshot().health()).isEqualTo(io.flotilla.agent.status.AgentStatus.Health.OK);
        // The others say why they wait: the member before them runs the previous image.
        assertThat(nodes.get(1).status.snapshot().notices()).anySatisfy(n -> assertThat(n).contains("member " + first.id + " goes first")
                .contains("the rollout of this chain is held"));
        assertThat(sampler.fewestFinalizing).as("members answering finalizing at the worst sample").isGreaterThanOrEqualTo(3);
    }

    private double rollbacks() {
        return nodes.stream().mapToDouble(n -> Optional.ofNullable(n.metrics.find("flotilla.image.rollbacks").counter())
                .map(Counter::count).orElse(0.0)).sum();
    }

    /** Samples the chain's containers and members' health every 250 ms until stopped. */
    private final class Sampler implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        final java.util.concurrent.ExecutorService probes = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
        final Map<Long, Instant> firstOnNew = new LinkedHashMap<>();
        final Map<Long, Instant> firstOnBroken = new LinkedHashMap<>();
        volatile int fewestFinalizing = 4;
        volatile boolean allAnswered;
        volatile int samples;

        @Override
        public void run() {
            while (!stop.get()) {
                Instant now = Instant.now();
                imageByNode().forEach((node, image) -> {
                    if (image.equals(good)) {
                        firstOnNew.putIfAbsent(node, now);
                    } else if (image.equals(broken)) {
                        firstOnBroken.putIfAbsent(node, now);
                    }
                });
                // All members asked at once: one after the other, a sample spanned up to a timeout per member, so two
                // members recreated one after the other could both count as down in one sample.
                List<java.util.concurrent.CompletableFuture<Boolean>> answers = nodes.stream().map(node -> java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    int port = PortLayout.first(node.basePort, slots.get(node.id)) + PortLayout.RPC_HTTP;
                    return rpc.health(node.ip, port, now).filter(SubnodeRpc.Health::finalizing).isPresent();
                }, probes)).toList();
                int finalizing = (int) answers.stream().filter(java.util.concurrent.CompletableFuture::join).count();
                // Counted from the first sample in which all four answer: the first probes after the previous test
                // class (EndToEndTest tearing down its network) came back late on a loaded machine.
                if (finalizing == nodes.size()) allAnswered = true;
                if (allAnswered) {
                    fewestFinalizing = Math.min(fewestFinalizing, finalizing);
                    samples++;
                }
                TestNetwork.pause(Duration.ofMillis(250));
            }
            probes.close();
        }
    }

    /** Per node, the image id of its running container of the chain. */
    private Map<Long, String> imageByNode() {
        Map<Long, String> out = new HashMap<>();
        for (ObservedContainer c : containers()) {
            if (c.state() == ContainerState.RUNNING) {
                out.put(Long.parseLong(c.labels().get(Names.LABEL_NODE)), c.imageId());
            }
        }
        return out;
    }

    private List<ObservedContainer> containers() {
        return runtime.listContainers(Map.of(Names.LABEL_MANAGED, "true", Names.LABEL_NETWORK, network.book.networkId(), Names.LABEL_CHAIN,
                Long.toString(chain)));
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            TestNetwork.pause(Duration.ofMillis(100));
        }
    }
}
