package io.flotilla.agent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import io.flotilla.agent.runtime.ObservedContainer.ContainerState;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Runs {@link DockerContainerRuntime} against the real engine with the stand-in subnode image. No Docker means a
 * failure, not a skip: the launcher starts an engine wherever these tests run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerContainerRuntimeTest {

    private static final String RUN_LABEL = "io.flotilla.test.run";
    private static final long MEMORY = 64L * 1024 * 1024;
    private static final ResourceLimits LIMITS = new ResourceLimits(50_000, 100_000, 512, MEMORY, 64);
    private static final String USER = "65534:65534";

    private final String runId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    private final String imageTag = "flotilla/subnode-standin:test-" + runId;
    private final List<Path> configDirs = new ArrayList<>();

    private String dockerHost;
    private DockerContainerRuntime runtime;
    private DockerClient raw;
    private String imageId;

    @BeforeAll
    void startEngineClientsAndBuildImage() throws Exception {
        dockerHost = Optional.ofNullable(System.getenv("DOCKER_HOST")).orElse("unix:///var/run/docker.sock");
        runtime = new DockerContainerRuntime(dockerHost);
        if (!runtime.ping()) {
            fail("No Docker engine answers at " + dockerHost + ": start one (`setsid dockerd &`, as ./flotilla does)");
        }
        var config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(dockerHost)
                .withApiVersion(DockerContainerRuntime.API_VERSION)
                .build();
        raw = DockerClientImpl.getInstance(config, new ApacheDockerHttpClient.Builder()
                .dockerHost(URI.create(dockerHost))
                .responseTimeout(Duration.ofSeconds(30))
                .build());
        imageId = buildStandIn();
    }

    @AfterEach
    void removeWhatThisRunCreated() throws IOException {
        // Through the raw client, so cleanup does not depend on the code under test.
        for (var c : raw.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(RUN_LABEL, runId)).exec()) {
            ignoreNotFound(() -> raw.removeContainerCmd(c.getId()).withForce(true).exec());
        }
        var volumes = raw.listVolumesCmd().withFilter("label", List.of(RUN_LABEL + "=" + runId)).exec().getVolumes();
        for (var v : volumes == null ? List.<com.github.dockerjava.api.command.InspectVolumeResponse>of() : volumes) {
            ignoreNotFound(() -> raw.removeVolumeCmd(v.getName()).exec());
        }
        for (Path dir : configDirs) {
            deleteTree(dir);
        }
        configDirs.clear();
    }

    @AfterAll
    void closeClients() throws IOException {
        if (raw != null) {
            // Only this run's tag goes; the image itself stays while another tag (e.g. :dev) points at it.
            ignoreNotFound(() -> raw.removeImageCmd(imageTag).withNoPrune(false).exec());
            raw.close();
        }
        if (runtime != null) {
            runtime.close();
        }
    }

    @Test
    void hardenedContainerRunsServesReportsAndStops() throws Exception {
        Map<String, String> labels = Map.of(RUN_LABEL, runId, "io.flotilla.chain", "chain-7");
        String volume = "flotilla-test-" + runId + "-data";
        int port = freeLoopbackPort();
        // Shaped like the agent's config: keys sorted, so "members" (with their own nodeId) precede the top level.
        Path configDir = configDir("""
                {
                  "bindIp" : "127.0.0.1",
                  "chainName" : "chain-7<b>",
                  "members" : [ { "nodeId" : 901, "ports" : { "rpcHttp" : 1 } }, { "nodeId" : 902 } ],
                  "nodeId" : 9%s,
                  "ports" : { "consensus" : 1, "rpcHttp" : %d }
                }
                """.formatted(nodeDigits(), port));

        runtime.createVolume(volume, labels);
        runtime.createVolume(volume, labels); // exists: no-op
        assertEquals(List.of(new ObservedVolume(volume, labels)), runtime.listVolumes(Map.of(RUN_LABEL, runId)));

        ContainerSpec spec = new ContainerSpec(
                "flotilla-test-" + runId + "-ok",
                imageId,
                labels,
                List.of(),
                Map.of("FLOTILLA_TEST_RUN", runId),
                USER,
                LIMITS,
                volume,
                "/data",
                configDir.toString(),
                "/config",
                Map.of("/tmp", "rw,noexec,nosuid,size=16m"));
        String id = runtime.createContainer(spec);
        runtime.startContainer(id);
        runtime.startContainer(id); // running: no-op

        assertHardened(raw.inspectContainerCmd(id).exec(), spec, configDir);

        String page = awaitPage(port, Duration.ofSeconds(10));
        assertTrue(page.contains("<span id=\"chain\">chain-7&lt;b&gt;</span>"), page);
        assertTrue(page.contains("<span id=\"node\">9" + nodeDigits() + "</span>"), page);

        ObservedContainer running = single(runtime.listContainers(Map.of(RUN_LABEL, runId)));
        assertEquals(id, running.id());
        assertEquals(spec.name(), running.name());
        assertEquals(imageId, running.imageId());
        assertEquals(labels, running.labels());
        assertEquals(ContainerState.RUNNING, running.state());
        assertNotNull(running.startedAt());
        assertEquals(null, running.finishedAt());
        assertEquals(List.of(), runtime.listContainers(Map.of(RUN_LABEL, runId, "io.flotilla.chain", "other")));

        long before = System.nanoTime();
        ContainerStats stats = runtime.stats(id).orElseThrow(() -> new AssertionError("no stats of a running container"));
        assertTrue(System.nanoTime() - before < TimeUnit.SECONDS.toNanos(6), "stats took too long");
        assertEquals(MEMORY, stats.memoryLimitBytes());
        assertTrue(stats.memoryBytes() > 0 && stats.memoryBytes() < MEMORY, "memory " + stats.memoryBytes());
        assertTrue(stats.cpuCores() >= 0 && stats.cpuCores() <= 0.5 + 1e-6, "cpu " + stats.cpuCores());

        runtime.stopContainer(id, Duration.ofSeconds(5));
        runtime.stopContainer(id, Duration.ofSeconds(5)); // stopped: no-op
        ObservedContainer stopped = single(runtime.listContainers(Map.of(RUN_LABEL, runId)));
        assertEquals(ContainerState.EXITED, stopped.state());
        assertEquals(0, stopped.exitCode(), "the stand-in exits 0 on SIGTERM");
        assertNotNull(stopped.finishedAt());
        assertFalse(stopped.finishedAt().isBefore(stopped.startedAt()));
        assertEquals(Optional.empty(), runtime.stats(id));

        runtime.removeContainer(id);
        runtime.removeContainer(id); // gone: no-op
        assertEquals(List.of(), runtime.listContainers(Map.of(RUN_LABEL, runId)));

        runtime.removeVolume(volume);
        runtime.removeVolume(volume); // gone: no-op
        assertEquals(List.of(), runtime.listVolumes(Map.of(RUN_LABEL, runId)));
    }

    @Test
    void containerWithoutConfigExitsNonZero() throws Exception {
        Map<String, String> labels = Map.of(RUN_LABEL, runId);
        String volume = "flotilla-test-" + runId + "-noconfig";
        runtime.createVolume(volume, labels);
        Path emptyConfigDir = configDir(null);
        String id = runtime.createContainer(new ContainerSpec(
                "flotilla-test-" + runId + "-noconfig",
                imageId,
                labels,
                List.of(),
                Map.of(),
                USER,
                LIMITS,
                volume,
                "/data",
                emptyConfigDir.toString(),
                "/config",
                Map.of("/tmp", "rw,size=1m")));
        assertEquals(ContainerState.CREATED, single(runtime.listContainers(labels)).state());
        assertEquals(Optional.empty(), runtime.stats(id), "a created container has no stats");

        runtime.startContainer(id);
        ObservedContainer exited = await(Duration.ofSeconds(10), () -> {
            ObservedContainer c = single(runtime.listContainers(labels));
            return c.state() == ContainerState.EXITED ? c : null;
        });
        assertNotEquals(0, exited.exitCode());
        assertNotNull(exited.startedAt());
        assertNotNull(exited.finishedAt());
    }

    @Test
    void imageIdsOfLocalAndUnknownImages() {
        assertTrue(imageId.matches("sha256:[0-9a-f]{64}"), imageId);
        assertEquals(Optional.of(imageId), runtime.imageId(imageTag));
        assertEquals(Optional.of(imageId), runtime.imageId(imageId));
        assertEquals(Optional.empty(), runtime.imageId("flotilla/no-such-image:" + runId));
        assertEquals(Optional.empty(), runtime.imageId("sha256:" + "0".repeat(64)));
    }

    @Test
    void missingContainersAndVolumesAreNotErrors() {
        String missing = "flotilla-test-" + runId + "-missing";
        runtime.stopContainer(missing, Duration.ofSeconds(1));
        runtime.removeContainer(missing);
        runtime.removeVolume(missing);
        assertEquals(Optional.empty(), runtime.stats(missing));
        assertEquals(List.of(), runtime.listContainers(Map.of(RUN_LABEL, runId)));
        assertThrows(ContainerRuntimeException.class, () -> runtime.startContainer(missing));
    }

    @Test
    void refusesRootAndMissingUser() {
        for (String user : new String[] {"0:0", "root", "0", " "}) {
            ContainerSpec spec = new ContainerSpec("flotilla-test-" + runId + "-root", imageId, Map.of(RUN_LABEL, runId),
                    List.of(), Map.of(), user, LIMITS, null, null, null, null, Map.of());
            assertThrows(IllegalArgumentException.class, () -> runtime.createContainer(spec), user);
        }
        assertEquals(List.of(), runtime.listContainers(Map.of(RUN_LABEL, runId)));
    }

    // ------------------------------------------------------------------ helpers

    private void assertHardened(InspectContainerResponse inspected, ContainerSpec spec, Path configDir) {
        HostConfig host = inspected.getHostConfig();
        assertEquals(MEMORY, host.getMemory());
        assertEquals(MEMORY, host.getMemorySwap(), "no swap");
        assertEquals(LIMITS.cpuQuotaMicros(), host.getCpuQuota());
        assertEquals(LIMITS.cpuPeriodMicros(), host.getCpuPeriod());
        assertEquals(LIMITS.cpuShares(), host.getCpuShares());
        assertEquals(LIMITS.pidsLimit(), host.getPidsLimit());
        assertEquals(Boolean.TRUE, host.getReadonlyRootfs());
        assertTrue(Arrays.asList(host.getCapDrop()).contains(Capability.ALL), Arrays.toString(host.getCapDrop()));
        assertTrue(host.getSecurityOpts().contains("no-new-privileges"), String.valueOf(host.getSecurityOpts()));
        assertEquals("host", host.getNetworkMode());
        String restart = host.getRestartPolicy() == null ? "" : String.valueOf(host.getRestartPolicy().getName());
        assertTrue(restart.isEmpty() || restart.equals("no") || restart.equals("null"), restart);
        assertEquals(Map.of("/tmp", "rw,noexec,nosuid,size=16m"), host.getTmpFs());
        // Rotated logs whatever the engine's default driver: a chatty subnode cannot fill the host's disk.
        assertEquals("json-file", host.getLogConfig().getType().getType());
        assertEquals(Map.of("max-size", "10m", "max-file", "3"), host.getLogConfig().getConfig());

        assertEquals(USER, inspected.getConfig().getUser());
        assertEquals(spec.labels(), inspected.getConfig().getLabels());
        assertTrue(Arrays.asList(inspected.getConfig().getEnv()).contains("FLOTILLA_TEST_RUN=" + runId));
        assertEquals(imageId, inspected.getImageId());
        assertEquals("/" + spec.name(), inspected.getName());

        var mounts = inspected.getMounts();
        var config = mounts.stream().filter(m -> "/config".equals(m.getDestination().getPath())).findFirst()
                .orElseThrow(() -> new AssertionError("no /config mount: " + mounts));
        assertEquals(configDir.toString(), config.getSource());
        assertEquals(Boolean.FALSE, config.getRW(), "config must be read-only");
        var data = mounts.stream().filter(m -> "/data".equals(m.getDestination().getPath())).findFirst()
                .orElseThrow(() -> new AssertionError("no /data mount: " + mounts));
        assertEquals(spec.dataVolume(), data.getName());
        assertEquals(Boolean.TRUE, data.getRW());
    }

    private String buildStandIn() throws IOException, InterruptedException {
        Path root = repoRoot();
        Path script = root.resolve("deploy/images/subnode-standin/build.sh");
        Path stderr = Files.createTempFile("standin-build-", ".log");
        try {
            Process build = new ProcessBuilder(script.toString(), imageTag)
                    .directory(root.toFile())
                    .redirectError(stderr.toFile())
                    .start();
            build.getOutputStream().close();
            String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!build.waitFor(120, TimeUnit.SECONDS)) {
                build.destroyForcibly();
                fail("build.sh did not finish in 120 s");
            }
            if (build.exitValue() != 0) {
                fail("build.sh failed (" + build.exitValue() + "): " + Files.readString(stderr));
            }
            assertTrue(out.matches("sha256:[0-9a-f]{64}"), "build.sh must print only the image id, got: " + out);
            return out;
        } finally {
            Files.deleteIfExists(stderr);
        }
    }

    private static Path repoRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("flotilla")) && Files.isDirectory(dir.resolve("deploy"))) {
                return dir;
            }
        }
        throw new AssertionError("no repository root (a folder holding ./flotilla) above " + Path.of("").toAbsolutePath());
    }

    /** A config folder the container's unprivileged user can read; {@code json} null leaves it empty. */
    private Path configDir(String json) throws IOException {
        Path dir = Files.createTempDirectory("flotilla-standin-" + runId + "-");
        configDirs.add(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (json != null) {
            Path file = Files.writeString(dir.resolve("config.json"), json);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        }
        return dir;
    }

    /** A node id unique to this run, as the agent writes it: a number. */
    private String nodeDigits() {
        return Long.toString(Long.parseLong(runId, 16));
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static String awaitPage(int port, Duration timeout) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder()
                .proxy(HttpClient.Builder.NO_PROXY)
                .connectTimeout(Duration.ofSeconds(1))
                .build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(2))
                .build();
        return await(timeout, () -> {
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                return response.statusCode() == 200 ? response.body() : null;
            } catch (IOException notYet) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        });
    }

    /** Polls until {@code probe} gives a non-null value. */
    private static <T> T await(Duration timeout, Supplier<T> probe) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("nothing within " + timeout);
            }
            Thread.sleep(200);
        }
    }

    private static ObservedContainer single(List<ObservedContainer> containers) {
        assertEquals(1, containers.size(), String.valueOf(containers));
        return containers.get(0);
    }

    private static void ignoreNotFound(Runnable request) {
        try {
            request.run();
        } catch (NotFoundException gone) {
            // already cleaned up by the test itself
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
