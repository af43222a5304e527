package io.flotilla.agent.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A clean Debian 12 server with its own Docker engine, for the install test: a container of the image built by
 * deploy/images/test-server/build.sh (debootstrap + Debian's docker.io, no Java, no Node, nothing of Flotilla), whose
 * PID 1 starts dockerd as a server's init would. The operator's commands run in it with {@code docker exec}.
 *
 * <p>It shares the host's network namespace: the other nodes of the test and the Hardhat node are loopback addresses
 * of this host, so the server's node IP is one more loopback address and nothing leaves 127.0.0.0/8 (docs/agent.md,
 * "Tests"). Its engine runs with every capability but CAP_SYS_RESOURCE (which this machine's engine lacks, so
 * {@code --privileged} cannot start here), the loop devices and a writable cgroup tree; its data root and the agent's
 * data directory are anonymous volumes (overlay2 cannot sit on the container's own overlay), removed with it.
 */
final class TestServer implements AutoCloseable {

    /** The inner engine's cgroup parent (deploy/images/test-server/daemon.json), under every controller of the host. */
    static final String CGROUP_PARENT = "flotilla-test-server";
    final String name;
    final String image;
    /**
     * Where the operator cloned the repository on the server: the same path as this machine's checkout, because the
     * build outputs it receives record absolute paths (Hardhat's compile cache; elsewhere `node check` would recompile
     * every contract with solcjs, minutes on two cores).
     */
    final String checkout;

    private TestServer(String name, String image, String checkout) {
        this.name = name;
        this.image = image;
        this.checkout = checkout;
    }

    /** The result of a command run in the server. */
    record Result(int exitCode, String stdout, String stderr) {
        String output() {
            return stdout + stderr;
        }
    }

    /**
     * Builds (once) and starts the server; waits until its Docker engine answers. {@code jdk} is mounted read-only at
     * the same path: it stands for the JDK 21+ the validator installs (docs/agent.md, "Server requirements").
     */
    static TestServer start(Path root, Path jdk) throws IOException, InterruptedException {
        String image = TestNetwork.run(root, Map.of(), root.resolve("deploy/images/test-server/build.sh").toString()).strip();
        String name = "flotilla-test-server-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> run = new ArrayList<>(List.of("docker", "run", "-d", "--name", name, "--hostname", "flotilla-test-server",
                "--label", "io.flotilla.test=test-server", "--network", "host",
                "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE", "--security-opt", "seccomp=unconfined",
                "--security-opt", "apparmor=unconfined", "--security-opt", "systempaths=unconfined",
                "--device-cgroup-rule", "b 7:* rmw", "--device-cgroup-rule", "c 10:237 rmw",
                "-v", "/sys/fs/cgroup:/sys/fs/cgroup", "-v", "/var/lib/docker", "-v", "/var/lib/flotilla",
                "-v", jdk.toRealPath() + ":" + jdk + ":ro", image));
        TestNetwork.run(root, Map.of(), run.toArray(String[]::new));
        TestServer server = new TestServer(name, image, root.toString());
        for (int i = 0; i < 120; i++) {
            if (server.exec("docker", "info").exitCode() == 0) {
                return server;
            }
            Thread.sleep(250);
        }
        String log = server.exec("cat", "/var/log/dockerd.log").output();
        server.close();
        throw new IllegalStateException("the test server's dockerd did not answer within 30 s: " + log);
    }

    /** Runs a command in the server as root (as the operator's sudo would), from the checkout when it exists. */
    Result exec(String... command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of("docker", "exec", "-w", "/root", name));
        full.addAll(List.of(command));
        return run(full, null);
    }

    /** Runs a shell script in the server, in the checkout; fails with its output unless it exits 0. */
    String sh(String script) throws IOException, InterruptedException {
        Result r = exec("bash", "-c", "cd " + checkout + " 2>/dev/null; " + script);
        if (r.exitCode() != 0) {
            throw new AssertionError("on the test server, `" + script + "` exited " + r.exitCode() + ":\n" + r.output());
        }
        return r.stdout();
    }

    /** Starts a shell script in the server in the background (docker exec -d), from the root directory. */
    void startDetached(String script) throws IOException, InterruptedException {
        Result r = run(List.of("docker", "exec", "-d", "-w", "/", name, "bash", "-c", script), null);
        if (r.exitCode() != 0) throw new AssertionError("could not start `" + script + "`: " + r.output());
    }

    /** Writes a file in the server. */
    void write(String path, String content, String mode) throws IOException, InterruptedException {
        Result r = run(List.of("docker", "exec", "-i", name, "sh", "-c", "umask 077; cat > '" + path + "' && chmod " + mode + " '" + path + "'"),
                content.getBytes(StandardCharsets.UTF_8));
        if (r.exitCode() != 0) throw new AssertionError("could not write " + path + ": " + r.output());
    }

    /** Copies an image of the host's engine into the server's engine, same id (no registry: docker save | docker load). */
    void loadImage(Path root, String imageId) throws IOException, InterruptedException {
        TestNetwork.run(root, Map.of(), "bash", "-c", "set -o pipefail; docker save " + imageId + " | docker exec -i " + name + " docker load -q");
    }

    /**
     * Puts the repository, as `git clone` and `./flotilla setup` leave it, at {@link #checkout}: the tracked files and
     * the build outputs the launcher would otherwise build (the compiled contracts, the agent's jar) and the npm
     * packages. The server has no route to the registries, so these come from this machine's build.
     */
    void copyCheckout(Path root, Path agentJar) throws IOException, InterruptedException {
        sh("mkdir -p " + checkout);
        TestNetwork.run(root, Map.of(), "bash", "-c", "set -o pipefail; tar -C " + q(root) + " --exclude=./.git --exclude=./node_modules"
                + " --exclude='./java/*/target' --exclude=./.devnet --exclude=./dashboard/node_modules --exclude=./deploy/deployments/31337.json --exclude=./coverage -c . "
                + "| docker exec -i " + name + " tar -x -C " + checkout);
        // The npm packages where they are here: a worktree's node_modules is a link to another checkout's, and the
        // compile cache names the compiler by its real path.
        Path modules = root.resolve("node_modules").toRealPath();
        sh("mkdir -p " + q(modules.getParent()));
        TestNetwork.run(root, Map.of(), "bash", "-c", "set -o pipefail; tar -C " + q(modules.getParent()) + " -c " + q(modules.getFileName())
                + " | docker exec -i " + name + " tar -x -C " + q(modules.getParent()));
        if (Files.isSymbolicLink(root.resolve("node_modules"))) {
            sh("ln -sfn " + q(modules) + " " + q(root.resolve("node_modules")));
        }
        Path rel = root.relativize(agentJar);
        TestNetwork.run(root, Map.of(), "bash", "-c", "set -o pipefail; tar -C " + q(root) + " -c " + q(rel) + " | docker exec -i " + name
                + " tar -x -C " + checkout);
        // `./flotilla setup` installs the packages and builds the jar after the sources were checked out: the launcher
        // then uses them as they are.
        sh("touch " + q(modules.resolve(".flotilla-installed")) + " " + q(root.resolve(rel)));
    }

    private static String q(Object path) {
        return "'" + path.toString().replace("'", "'\\''") + "'";
    }

    private static Result run(List<String> command, byte[] stdin) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        Path out = Files.createTempFile("flotilla-server-", ".out");
        Path err = Files.createTempFile("flotilla-server-", ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (stdin != null) {
            try (var in = p.getOutputStream()) {
                in.write(stdin);
            }
        } else {
            p.getOutputStream().close();
        }
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish within 5 minutes");
        }
        Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        return r;
    }

    /**
     * Removes everything the server made: its subnode containers and volumes and the agent's loop mounts and nftables
     * table (in the host's network namespace), then the container with its volumes, then the inner engine's cgroups.
     */
    @Override
    public void close() throws IOException, InterruptedException {
        exec("bash", "-c", "[ -f /run/flotilla-agent.pid ] && kill $(cat /run/flotilla-agent.pid) && sleep 2; docker ps -aq | xargs -r docker rm -f; docker volume ls -q | xargs -r docker volume rm -f;"
                + " grep ' /var/lib/flotilla/volumes/' /proc/mounts | cut -d' ' -f2 | xargs -r -n1 umount -l;"
                + " nft list tables | awk '$2 == \"inet\" && $3 ~ /^flotilla_it_server/ {print $3}' | xargs -r -n1 nft delete table inet");
        run(List.of("docker", "rm", "-f", "-v", name), null);
        // The engine's cgroups are directories of the host's tree; children first.
        run(List.of("bash", "-c", "for d in /sys/fs/cgroup/" + CGROUP_PARENT + " /sys/fs/cgroup/*/" + CGROUP_PARENT + "; do [ -d \"$d\" ] && find \"$d\" -depth -type d -exec rmdir {} \\; ; done; true"), null);
    }
}
