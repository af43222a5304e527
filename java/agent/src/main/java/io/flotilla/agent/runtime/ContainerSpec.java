package io.flotilla.agent.runtime;

import java.util.List;
import java.util.Map;

/**
 * Everything needed to create one hardened subnode container.
 *
 * @param name container name
 * @param image image reference, normally the pinned image id "sha256:..."
 * @param labels labels that let the agent re-read its actual state
 * @param command arguments passed to the image's entrypoint
 * @param environment environment variables
 * @param user "uid:gid" to run as (never root)
 * @param limits CPU, memory and pids limits
 * @param dataVolume named volume mounted read-write at {@code dataMountPath}
 * @param dataMountPath where the data volume is mounted
 * @param configHostPath host directory mounted read-only at {@code configMountPath}
 * @param configMountPath where the config directory is mounted
 * @param tmpfs tmpfs mounts (path to options), e.g. /tmp
 */
public record ContainerSpec(
        String name,
        String image,
        Map<String, String> labels,
        List<String> command,
        Map<String, String> environment,
        String user,
        ResourceLimits limits,
        String dataVolume,
        String dataMountPath,
        String configHostPath,
        String configMountPath,
        Map<String, String> tmpfs) {

    public ContainerSpec {
        labels = Map.copyOf(labels);
        command = List.copyOf(command);
        environment = Map.copyOf(environment);
        tmpfs = Map.copyOf(tmpfs);
    }
}
