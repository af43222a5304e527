package io.flotilla.agent.runtime;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The container engine as the agent sees it. Docker is the source of truth for what runs on a node: every
 * container and volume the agent creates carries labels, so the actual state can always be re-read.
 * All methods are idempotent where the engine allows it (removing what is gone is not an error).
 */
public interface ContainerRuntime {

    /** Whether the engine answers. */
    boolean ping();

    /** Containers (running or not) whose labels include every entry of {@code labels}. */
    List<ObservedContainer> listContainers(Map<String, String> labels);

    /** Volumes whose labels include every entry of {@code labels}. */
    List<ObservedVolume> listVolumes(Map<String, String> labels);

    /** Creates a named volume; does nothing when it exists. */
    void createVolume(String name, Map<String, String> labels);

    /**
     * Creates a named volume of the local driver with {@code driverOptions} (e.g. a bind of a quota'd directory);
     * does nothing when it exists.
     */
    default void createVolume(String name, Map<String, String> labels, Map<String, String> driverOptions) {
        if (!driverOptions.isEmpty()) {
            throw new UnsupportedOperationException("volume driver options are not supported by " + getClass().getSimpleName());
        }
        createVolume(name, labels);
    }

    /** Creates (does not start) a container; returns its id. */
    String createContainer(ContainerSpec spec);

    void startContainer(String id);

    /**
     * Changes the CPU, memory and pids limits of a container in place, running or not, without restarting it
     * ({@code docker update}).
     */
    default void updateResources(String id, ResourceLimits limits) {
        throw new UnsupportedOperationException("updating resources is not supported by " + getClass().getSimpleName());
    }

    /** Stops a container, killing it after {@code timeout}; does nothing when it is not running. */
    void stopContainer(String id, Duration timeout);

    /** Removes a container (forcing a running one); does nothing when it is gone. */
    void removeContainer(String id);

    /** Where the engine keeps a volume's files on the host, empty when the volume is gone or the engine does not say. */
    default Optional<String> volumeMountpoint(String name) {
        return Optional.empty();
    }

    /** Removes a volume; does nothing when it is gone. */
    void removeVolume(String name);

    /** The image id ("sha256:...", the digest of the image config) of a local image, empty when absent. */
    Optional<String> imageId(String imageReference);

    /** One sample of a running container's CPU and memory use, empty when it does not run. */
    Optional<ContainerStats> stats(String id);

    /** A container lifecycle event: {@code action} is Docker's word ("die", "start", "destroy", "oom"...). */
    record Event(String containerId, String action, Map<String, String> attributes) {}

    /**
     * Subscribes to lifecycle events of the containers whose labels include every entry of {@code labels}.
     * {@code onEnd} is called once when the stream ends or fails (the engine restarted, the socket broke); the
     * caller subscribes again. Closing the handle ends the subscription without calling {@code onEnd}.
     */
    AutoCloseable watch(Map<String, String> labels, java.util.function.Consumer<Event> onEvent,
            java.util.function.Consumer<Throwable> onEnd);
}
