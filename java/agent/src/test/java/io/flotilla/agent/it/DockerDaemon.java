package io.flotilla.agent.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Restarts the machine's Docker engine for a test: through systemd when it manages Docker, otherwise by stopping the
 * dockerd process (SIGTERM, as a service manager would) and starting it again with the same command line, the way
 * ./flotilla starts it (setsid, log in /var/log/flotilla-dockerd.log). Every container on the machine stops.
 */
final class DockerDaemon {

    private DockerDaemon() {}

    /** Restarts dockerd; returns when it answers again, with that instant. */
    static Instant restart(Path root) throws IOException, InterruptedException {
        if (systemdManagesDocker()) {
            TestNetwork.run(root, Map.of(), "systemctl", "restart", "docker");
            return waitUntilAnswering(root);
        }
        String pid = TestNetwork.run(root, Map.of(), "pgrep", "-x", "-o", "dockerd").strip();
        if (pid.isEmpty()) {
            throw new IllegalStateException("no dockerd process to restart (is Docker run by another service manager?)");
        }
        List<String> command = new ArrayList<>(Arrays.asList(
                new String(Files.readAllBytes(Path.of("/proc", pid, "cmdline")), StandardCharsets.UTF_8).split("\0")));
        TestNetwork.run(root, Map.of(), "kill", "-TERM", pid);
        Instant deadline = Instant.now().plusSeconds(60);
        while (Files.exists(Path.of("/proc", pid))) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("dockerd " + pid + " did not stop within 60 s");
            }
            Thread.sleep(100);
        }
        List<String> detached = new ArrayList<>(List.of("setsid"));
        detached.addAll(command);
        new ProcessBuilder(detached).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("/var/log/flotilla-dockerd.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        return waitUntilAnswering(root);
    }

    private static boolean systemdManagesDocker() {
        try {
            Process p = new ProcessBuilder("systemctl", "is-active", "--quiet", "docker").redirectErrorStream(true).start();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false; // no systemctl on this machine
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Instant waitUntilAnswering(Path root) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
        while (true) {
            try {
                TestNetwork.run(root, Map.of(), "docker", "version", "--format", "{{.Server.Version}}");
                return Instant.now();
            } catch (IOException | IllegalStateException e) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("dockerd did not answer within 90 s of its restart", e);
                }
                Thread.sleep(100);
            }
        }
    }
}
