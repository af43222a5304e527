package io.flotilla.agent.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.runtime.ContainerRuntimeException;
import org.junit.jupiter.api.Test;

/** Which start refusals mean "Docker holds a stale task for this container" (the container is then replaced). */
class StaleTaskTest {

    private static boolean stale(String message) {
        return Reconciler.isStaleTask(new ContainerRuntimeException("start container abc failed: " + message, null));
    }

    @Test
    void theRefusalsLeftByAnInterruptedStartAreRecognised() {
        assertThat(stale("Status 500: {\"message\":\"failed to create task for container: task 4a9b: already exists: unknown\"}")).isTrue();
        assertThat(stale("Status 500: {\"message\":\"container \\\"120e84\\\": already exists\"}")).isTrue();
        assertThat(stale("Status 500: {\"message\":\"id already in use\"}")).isTrue();
        assertThat(stale("OCI runtime create failed: container with id exists: 521c55: unknown")).isTrue();
    }

    @Test
    void otherRefusalsAreNot() {
        assertThat(stale("Status 404: No such container: abc")).isFalse();
        assertThat(stale("Status 500: error while creating mount source path: permission denied")).isFalse();
        assertThat(stale("Cannot connect to the Docker daemon at unix:///var/run/docker.sock")).isFalse();
    }
}
