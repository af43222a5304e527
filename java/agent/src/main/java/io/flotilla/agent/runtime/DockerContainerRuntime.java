package io.flotilla.agent.runtime;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.BadRequestException;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.CpuStatsConfig;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.MemoryStatsConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.api.model.VolumeOptions;
import com.github.dockerjava.api.model.Statistics;
import com.github.dockerjava.api.model.StatsConfig;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * {@link ContainerRuntime} on a Docker engine through docker-java (Apache HttpClient 5 transport).
 *
 * <p>The API version is pinned to 1.41 so the same requests work on Debian's Docker 20.10 and on newer
 * engines. Every failure other than the idempotent cases surfaces as {@link ContainerRuntimeException}.
 */
public final class DockerContainerRuntime implements ContainerRuntime, AutoCloseable {

    /** Docker 20.10; newer engines still accept it. */
    public static final String API_VERSION = "1.41";

    /** Longest a stats sample may take, both samples together. */
    static final Duration STATS_TIMEOUT = Duration.ofSeconds(5);

    /** Docker reports "never" as the zero time of Go. */
    private static final String GO_ZERO_TIME_PREFIX = "0001-01-01";

    private final DockerClient docker;

    /** @param dockerHost e.g. "unix:///var/run/docker.sock" or "tcp://127.0.0.1:2375" */
    public DockerContainerRuntime(String dockerHost) {
        // Stop waits up to its own timeout before the engine answers, so the response timeout stays generous.
        this(dockerHost, Duration.ofSeconds(120));
    }

    /**
     * @param dockerHost e.g. "unix:///var/run/docker.sock"
     * @param responseTimeout longest wait for an answer; must exceed the longest stop timeout used
     */
    public DockerContainerRuntime(String dockerHost, Duration responseTimeout) {
        Objects.requireNonNull(dockerHost, "dockerHost");
        Objects.requireNonNull(responseTimeout, "responseTimeout");
        DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(dockerHost)
                .withApiVersion(API_VERSION)
                .build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(URI.create(dockerHost))
                .sslConfig(config.getSSLConfig())
                .maxConnections(32)
                .connectionTimeout(Duration.ofSeconds(5))
                .responseTimeout(responseTimeout)
                .build();
        this.docker = DockerClientImpl.getInstance(config, http);
    }

    @Override
    public boolean ping() {
        try {
            docker.pingCmd().exec();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public List<ObservedContainer> listContainers(Map<String, String> labels) {
        return call("list containers " + labels, () -> {
            var command = docker.listContainersCmd().withShowAll(true);
            if (!labels.isEmpty()) {
                command = command.withLabelFilter(labels);
            }
            List<ObservedContainer> result = new ArrayList<>();
            // The list gives only a coarse status string; exit code and times need an inspect each.
            for (Container container : command.exec()) {
                inspect(container.getId()).map(DockerContainerRuntime::observed).ifPresent(result::add);
            }
            return List.copyOf(result);
        });
    }

    @Override
    public List<ObservedVolume> listVolumes(Map<String, String> labels) {
        return call("list volumes " + labels, () -> {
            var command = docker.listVolumesCmd();
            if (!labels.isEmpty()) {
                command = command.withFilter("label", labelFilters(labels));
            }
            List<InspectVolumeResponse> volumes = command.exec().getVolumes();
            if (volumes == null) {
                return List.of();
            }
            return volumes.stream()
                    .map(v -> new ObservedVolume(v.getName(), orEmpty(v.getLabels())))
                    .toList();
        });
    }

    /** Log rotation of every subnode container: at most {@value #LOG_MAX_FILES} files of {@value #LOG_MAX_SIZE}. */
    public static final String LOG_MAX_SIZE = "10m";
    public static final String LOG_MAX_FILES = "3";

    @Override
    public void createVolume(String name, Map<String, String> labels) {
        createVolume(name, labels, Map.of());
    }

    @Override
    public void createVolume(String name, Map<String, String> labels, Map<String, String> driverOptions) {
        call("create volume " + name, () -> {
            try {
                docker.inspectVolumeCmd(name).exec();
                return null;
            } catch (NotFoundException absent) {
                // created below
            }
            try {
                var command = docker.createVolumeCmd().withName(name).withLabels(Map.copyOf(labels));
                if (!driverOptions.isEmpty()) {
                    command = command.withDriver("local").withDriverOpts(Map.copyOf(driverOptions));
                }
                command.exec();
            } catch (ConflictException createdMeanwhile) {
                // another caller won the race: the volume exists, which is all we want
            }
            return null;
        });
    }

    @Override
    public String createContainer(ContainerSpec spec) {
        ResourceLimits limits = Objects.requireNonNull(spec.limits(), "limits");
        requireUnprivilegedUser(spec.user());
        HostConfig host = HostConfig.newHostConfig()
                .withNetworkMode("host")
                .withReadonlyRootfs(true)
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(List.of("no-new-privileges"))
                // The agent restarts failed subnodes itself, with backoff, so Docker must not.
                .withRestartPolicy(RestartPolicy.noRestart())
                .withCpuQuota(limits.cpuQuotaMicros())
                .withCpuPeriod(limits.cpuPeriodMicros())
                .withCpuShares(limits.cpuShares())
                .withMemory(limits.memoryBytes())
                // Memory + swap equal to memory: no swap at all.
                .withMemorySwap(limits.memoryBytes())
                .withPidsLimit(limits.pidsLimit())
                // Logs capped: a chatty or hostile subnode cannot fill the node's disk through Docker's log files.
                .withLogConfig(new LogConfig(LogConfig.LoggingType.JSON_FILE, Map.of("max-size", LOG_MAX_SIZE, "max-file", LOG_MAX_FILES)))
                .withMounts(mounts(spec));
        if (!spec.tmpfs().isEmpty()) {
            host = host.withTmpFs(spec.tmpfs());
        }
        HostConfig hostConfig = host;
        return call("create container " + spec.name(), () -> {
            var command = docker.createContainerCmd(spec.image())
                    .withName(spec.name())
                    .withLabels(spec.labels())
                    .withUser(spec.user())
                    .withHostConfig(hostConfig);
            // An empty Cmd would mean "the image's default" to Docker anyway; leave it out explicitly.
            if (!spec.command().isEmpty()) {
                command = command.withCmd(spec.command());
            }
            if (!spec.environment().isEmpty()) {
                command = command.withEnv(spec.environment().entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue())
                        .sorted()
                        .toList());
            }
            return command.exec().getId();
        });
    }

    @Override
    public void startContainer(String id) {
        call("start container " + id, () -> {
            try {
                docker.startContainerCmd(id).exec();
            } catch (NotModifiedException alreadyRunning) {
                // starting a running container is a no-op
            }
            return null;
        });
    }

    @Override
    public void stopContainer(String id, Duration timeout) {
        // Docker takes whole seconds; round up so the container gets at least what was asked.
        long seconds = Math.max(0, (timeout.toMillis() + 999) / 1000);
        call("stop container " + id, () -> {
            try {
                docker.stopContainerCmd(id).withTimeout((int) Math.min(seconds, Integer.MAX_VALUE)).exec();
            } catch (NotModifiedException | NotFoundException notRunning) {
                // already stopped or gone: nothing to do
            }
            return null;
        });
    }

    @Override
    public void removeContainer(String id) {
        call("remove container " + id, () -> {
            try {
                // The data volume is kept: the agent removes volumes explicitly, when a chain leaves the node.
                docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(false).exec();
            } catch (NotFoundException gone) {
                // already removed
            }
            return null;
        });
    }

    @Override
    public Optional<String> volumeMountpoint(String name) {
        return call("inspect volume " + name, () -> {
            try {
                return Optional.ofNullable(docker.inspectVolumeCmd(name).exec().getMountpoint());
            } catch (NotFoundException gone) {
                return Optional.empty();
            }
        });
    }

    @Override
    public void removeVolume(String name) {
        call("remove volume " + name, () -> {
            try {
                docker.removeVolumeCmd(name).exec();
            } catch (NotFoundException gone) {
                // already removed
            }
            return null;
        });
    }

    @Override
    public Optional<String> imageId(String imageReference) {
        return call("inspect image " + imageReference, () -> {
            try {
                return Optional.ofNullable(docker.inspectImageCmd(imageReference).exec().getId());
            } catch (NotFoundException | BadRequestException absent) {
                // a malformed reference cannot name a local image either
                return Optional.empty();
            }
        });
    }

    @Override
    public Optional<ContainerStats> stats(String id) {
        long deadline = System.nanoTime() + STATS_TIMEOUT.toNanos();
        boolean running = inspect(id)
                .map(c -> c.getState() != null && Boolean.TRUE.equals(c.getState().getRunning()))
                .orElse(false);
        if (!running) {
            return Optional.empty();
        }
        Optional<Statistics> first = sample(id, deadline);
        if (first.isEmpty() || first.get().getMemoryStats() == null) {
            return Optional.empty();
        }
        Statistics a = first.get();
        if (hasCpu(a.getPreCpuStats()) && hasCpu(a.getCpuStats())) {
            return Optional.of(toStats(a.getPreCpuStats(), a.getCpuStats(), a.getMemoryStats()));
        }
        // Engines that answer a one-shot request without the previous CPU reading: measure between two samples.
        Optional<Statistics> second = sample(id, deadline);
        if (second.isEmpty() || second.get().getMemoryStats() == null
                || !hasCpu(a.getCpuStats()) || !hasCpu(second.get().getCpuStats())) {
            return Optional.empty();
        }
        Statistics b = second.get();
        return Optional.of(toStats(a.getCpuStats(), b.getCpuStats(), b.getMemoryStats()));
    }

    @Override
    public AutoCloseable watch(Map<String, String> labels, java.util.function.Consumer<Event> onEvent,
            java.util.function.Consumer<Throwable> onEnd) {
        EventStream stream = new EventStream(onEvent, onEnd);
        var command = docker.eventsCmd().withEventTypeFilter(com.github.dockerjava.api.model.EventType.CONTAINER)
                .withEventFilter("start", "die", "destroy", "oom", "stop", "kill");
        if (!labels.isEmpty()) {
            command = command.withLabelFilter(labels);
        }
        try {
            command.exec(stream);
        } catch (RuntimeException e) {
            throw new ContainerRuntimeException("subscribe to events failed: " + e.getMessage(), e);
        }
        return stream;
    }

    @Override
    public void close() throws IOException {
        docker.close();
    }

    // ------------------------------------------------------------------ helpers

    private Optional<InspectContainerResponse> inspect(String id) {
        return call("inspect container " + id, () -> {
            try {
                return Optional.of(docker.inspectContainerCmd(id).exec());
            } catch (NotFoundException gone) {
                // removed between list and inspect, or never existed
                return Optional.empty();
            }
        });
    }

    /** One non-streaming stats frame, or empty when none arrives before {@code deadline}. */
    private Optional<Statistics> sample(String id, long deadlineNanos) {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
            return Optional.empty();
        }
        FirstFrame callback = new FirstFrame();
        try (callback) {
            docker.statsCmd(id).withNoStream(true).exec(callback);
            return Optional.ofNullable(callback.frame.get(remaining, TimeUnit.NANOSECONDS));
        } catch (TimeoutException slow) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof NotFoundException) {
                return Optional.empty();
            }
            throw new ContainerRuntimeException("stats of container " + id + " failed: " + e.getCause(), e.getCause());
        } catch (IOException | RuntimeException e) {
            if (e instanceof NotFoundException) {
                return Optional.empty();
            }
            throw new ContainerRuntimeException("stats of container " + id + " failed: " + e, e);
        }
    }

    private static boolean hasCpu(CpuStatsConfig cpu) {
        return cpu != null && cpu.getSystemCpuUsage() != null && cpu.getSystemCpuUsage() > 0
                && cpu.getCpuUsage() != null && cpu.getCpuUsage().getTotalUsage() != null;
    }

    /** Cores used between two CPU readings: the container's share of all host CPU time, times the CPUs online. */
    static ContainerStats toStats(CpuStatsConfig previous, CpuStatsConfig current, MemoryStatsConfig memory) {
        long cpuDelta = current.getCpuUsage().getTotalUsage() - previous.getCpuUsage().getTotalUsage();
        long systemDelta = current.getSystemCpuUsage() - previous.getSystemCpuUsage();
        double cores = 0.0;
        if (cpuDelta > 0 && systemDelta > 0) {
            cores = (double) cpuDelta / systemDelta * onlineCpus(current);
        }
        long limit = memory.getLimit() == null ? 0 : memory.getLimit();
        return new ContainerStats(cores, memoryInUse(memory), limit);
    }

    private static long onlineCpus(CpuStatsConfig cpu) {
        if (cpu.getOnlineCpus() != null && cpu.getOnlineCpus() > 0) {
            return cpu.getOnlineCpus();
        }
        List<Long> perCpu = cpu.getCpuUsage().getPercpuUsage();
        return perCpu == null || perCpu.isEmpty() ? 1 : perCpu.size();
    }

    /** Usage without the reclaimable page cache, as `docker stats` shows it (cgroup v1 and v2). */
    private static long memoryInUse(MemoryStatsConfig memory) {
        long usage = memory.getUsage() == null ? 0 : memory.getUsage();
        StatsConfig details = memory.getStats();
        if (details != null) {
            Long inactive = details.getTotalInactiveFile() != null
                    ? details.getTotalInactiveFile()
                    : details.getInactiveFile();
            if (inactive != null && inactive < usage) {
                return usage - inactive;
            }
        }
        return usage;
    }

    private static List<Mount> mounts(ContainerSpec spec) {
        List<Mount> mounts = new ArrayList<>();
        if (spec.dataVolume() != null) {
            mounts.add(new Mount()
                    .withType(MountType.VOLUME)
                    .withSource(spec.dataVolume())
                    .withTarget(Objects.requireNonNull(spec.dataMountPath(), "dataMountPath"))
                    // No copy of the image's /data (and its owner) into an empty volume: the agent gives the volume
                    // to the subnode's own uid before the container is made.
                    .withVolumeOptions(new VolumeOptions().withNoCopy(true))
                    .withReadOnly(false));
        }
        if (spec.configHostPath() != null) {
            // A bind mount of a missing host path fails at create time, which is what we want.
            mounts.add(new Mount()
                    .withType(MountType.BIND)
                    .withSource(spec.configHostPath())
                    .withTarget(Objects.requireNonNull(spec.configMountPath(), "configMountPath"))
                    .withReadOnly(true));
        }
        return mounts;
    }

    private static void requireUnprivilegedUser(String user) {
        if (user == null || user.isBlank()) {
            throw new IllegalArgumentException("a subnode container needs an explicit user (uid:gid)");
        }
        String name = user.split(":", 2)[0].strip();
        if (name.equals("0") || name.equals("root")) {
            throw new IllegalArgumentException("a subnode container must not run as root: " + user);
        }
    }

    private static ObservedContainer observed(InspectContainerResponse c) {
        InspectContainerResponse.ContainerState state = c.getState();
        String name = c.getName() == null ? "" : c.getName();
        Map<String, String> labels = c.getConfig() == null ? Map.of() : orEmpty(c.getConfig().getLabels());
        return new ObservedContainer(
                c.getId(),
                name.startsWith("/") ? name.substring(1) : name,
                c.getImageId(),
                labels,
                state == null ? ObservedContainer.ContainerState.UNKNOWN : state(state.getStatus()),
                state == null || state.getExitCodeLong() == null ? 0 : state.getExitCodeLong().intValue(),
                state == null ? null : instant(state.getStartedAt()),
                state == null ? null : instant(state.getFinishedAt()),
                limits(c.getHostConfig()));
    }

    /** The limits the agent sets, as the engine reports them; null when any is missing. */
    static ResourceLimits limits(HostConfig host) {
        if (host == null || host.getCpuQuota() == null || host.getCpuPeriod() == null || host.getCpuShares() == null
                || host.getMemory() == null || host.getPidsLimit() == null) {
            return null;
        }
        return new ResourceLimits(host.getCpuQuota(), host.getCpuPeriod(), host.getCpuShares(), host.getMemory(), host.getPidsLimit());
    }

    @Override
    public void updateResources(String id, ResourceLimits limits) {
        call("update container " + id, () -> {
            // Memory and memory + swap together, equal: no swap, as at creation.
            docker.updateContainerCmd(id)
                    .withCpuQuota(limits.cpuQuotaMicros())
                    .withCpuPeriod(limits.cpuPeriodMicros())
                    .withCpuShares(limits.cpuShares())
                    .withMemory(limits.memoryBytes())
                    .withMemorySwap(limits.memoryBytes())
                    .withPidsLimit(limits.pidsLimit())
                    .exec();
            return null;
        });
    }

    static ObservedContainer.ContainerState state(String status) {
        if (status == null) {
            return ObservedContainer.ContainerState.UNKNOWN;
        }
        return switch (status) {
            case "created" -> ObservedContainer.ContainerState.CREATED;
            case "running" -> ObservedContainer.ContainerState.RUNNING;
            case "restarting" -> ObservedContainer.ContainerState.RESTARTING;
            case "paused" -> ObservedContainer.ContainerState.PAUSED;
            case "exited" -> ObservedContainer.ContainerState.EXITED;
            case "dead" -> ObservedContainer.ContainerState.DEAD;
            default -> ObservedContainer.ContainerState.UNKNOWN; // "removing" and anything newer
        };
    }

    /** RFC 3339 time from the engine, null for Docker's "never". */
    static Instant instant(String time) {
        if (time == null || time.isBlank() || time.startsWith(GO_ZERO_TIME_PREFIX)) {
            return null;
        }
        try {
            return Instant.parse(time);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static List<String> labelFilters(Map<String, String> labels) {
        return labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted().toList();
    }

    private static Map<String, String> orEmpty(Map<String, String> labels) {
        return labels == null ? Map.of() : labels;
    }

    /** Runs one engine request, turning client and transport failures into {@link ContainerRuntimeException}. */
    private static <T> T call(String what, Supplier<T> request) {
        try {
            return request.get();
        } catch (ContainerRuntimeException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ContainerRuntimeException(what + " failed: " + e.getMessage(), e);
        }
    }

    /** Forwards container events; reports the end of the stream once, unless the subscriber closed it. */
    private static final class EventStream extends ResultCallback.Adapter<com.github.dockerjava.api.model.Event> {
        private final java.util.function.Consumer<Event> onEvent;
        private final java.util.function.Consumer<Throwable> onEnd;
        private final java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();

        EventStream(java.util.function.Consumer<Event> onEvent, java.util.function.Consumer<Throwable> onEnd) {
            this.onEvent = onEvent;
            this.onEnd = onEnd;
        }

        @Override
        public void onNext(com.github.dockerjava.api.model.Event event) {
            String id = event.getActor() != null ? event.getActor().getId() : event.getId();
            Map<String, String> attributes = event.getActor() == null ? Map.of() : orEmpty(event.getActor().getAttributes());
            String action = event.getAction() != null ? event.getAction() : event.getStatus();
            if (id != null && action != null) {
                onEvent.accept(new Event(id, action, attributes));
            }
        }

        @Override
        public void onError(Throwable error) {
            if (ended.compareAndSet(false, true)) {
                onEnd.accept(error);
            }
            try {
                super.close();
            } catch (IOException ignored) {
                // ending anyway
            }
        }

        @Override
        public void onComplete() {
            if (ended.compareAndSet(false, true)) {
                onEnd.accept(null);
            }
        }

        @Override
        public void close() throws IOException {
            ended.set(true);
            super.close();
        }
    }

    /** Completes with the first stats frame (or null when the stream ends without one), then is closed. */
    private static final class FirstFrame extends ResultCallback.Adapter<Statistics> {
        final CompletableFuture<Statistics> frame = new CompletableFuture<>();

        @Override
        public void onNext(Statistics statistics) {
            frame.complete(statistics);
        }

        @Override
        public void onError(Throwable error) {
            frame.completeExceptionally(error);
            closeQuietly();
        }

        @Override
        public void onComplete() {
            frame.complete(null);
            closeQuietly();
        }

        private void closeQuietly() {
            try {
                close();
            } catch (IOException ignored) {
                // the stream is finished either way
            }
        }
    }
}
