package io.flotilla.agent.it;

import io.flotilla.agent.config.AgentSettings;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The agent service (AgentApplication {@code run}, every task, the HTTP API) in a child JVM run as an ordinary user:
 * uid/gid 65534 with only the group that owns the Docker socket, as an operator who does not run the agent as root
 * would set it up. Its classes and libraries are copied where that user can read them (the build's may not be).
 */
final class NonRootAgent implements AutoCloseable {

    static final int UID = 65534;

    private final Process process;
    final Path log;

    private NonRootAgent(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static NonRootAgent start(Path work, AgentSettings s, int apiPort) throws IOException, InterruptedException {
        String classpath = copyClasspath(work.resolve("nonroot-classpath"));
        int dockerGroup = (Integer) Files.getAttribute(Path.of("/var/run/docker.sock"), "unix:gid");
        // The node's files now belong to the agent's user, as an install for that user would leave them.
        for (Path p : List.of(s.keystore(), s.passwordFile(), s.dataDir())) {
            TestNetwork.run(work, java.util.Map.of(), "chown", "-R", UID + ":" + UID, p.toString());
        }
        for (Path dir = s.keystore().getParent(); dir != null && !dir.equals(dir.getRoot()); dir = dir.getParent()) {
            dir.toFile().setExecutable(true, false); // the path to the node's files can be walked
        }
        s.addressBook().toFile().setReadable(true, false);
        List<String> command = new ArrayList<>(List.of("setpriv", "--reuid", Integer.toString(UID), "--regid", Integer.toString(UID),
                "--groups", Integer.toString(dockerGroup), Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Duser.home=" + s.dataDir(), "-cp", classpath,
                "io.flotilla.agent.AgentApplication", "run",
                "--flotilla.agent.manager-rpc-url=" + s.managerRpcUrl(),
                "--flotilla.agent.address-book=" + s.addressBook(),
                "--flotilla.agent.keystore=" + s.keystore(),
                "--flotilla.agent.password-file=" + s.passwordFile(),
                "--flotilla.agent.ip=" + s.ip(),
                "--flotilla.agent.base-port=" + s.basePort(),
                "--flotilla.agent.capacity.cpu-millicores=" + s.capacity().cpuMillicores(),
                "--flotilla.agent.capacity.memory-mib=" + s.capacity().memoryMiB(),
                "--flotilla.agent.capacity.disk-gib=" + s.capacity().diskGiB(),
                "--flotilla.agent.reserve.cpu-millicores=" + s.reserve().cpuMillicores(),
                "--flotilla.agent.reserve.memory-mib=" + s.reserve().memoryMiB(),
                "--flotilla.agent.reserve.disk-gib=" + s.reserve().diskGiB(),
                "--flotilla.agent.data-dir=" + s.dataDir(),
                "--flotilla.agent.subnode-uid-base=" + s.subnodeUidBase(),
                // nftables needs CAP_NET_ADMIN: an operator who runs the agent unprivileged turns the firewall off.
                "--flotilla.agent.firewall-table=off",
                "--flotilla.agent.resync-interval=5s",
                "--flotilla.agent.poll-interval=300ms",
                "--flotilla.agent.liveness-threshold=" + s.livenessThreshold().toSeconds() + "s",
                "--server.address=" + s.ip(),
                "--server.port=" + apiPort));
        Path log = work.resolve("nonroot-agent.log");
        Process p = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new NonRootAgent(p, log);
    }

    boolean alive() {
        return process.isAlive();
    }

    long uid() throws IOException {
        // The JVM setpriv became: its real and effective uid, from /proc.
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("Uid:")) {
                return Long.parseLong(line.split("\\s+")[2]);
            }
        }
        throw new IllegalStateException("no Uid line for process " + process.pid());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    /** Surefire's test class path (jars and class folders), copied into {@code target} readable by every user. */
    private static String copyClasspath(Path target) throws IOException {
        String path = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : path.split(File.pathSeparator)) {
            Path from = Path.of(entry);
            if (!Files.exists(from)) {
                continue;
            }
            Path to = target.resolve((n++) + "-" + from.getFileName());
            if (Files.isDirectory(from)) {
                try (Stream<Path> files = Files.walk(from)) {
                    for (Path f : files.toList()) {
                        Path t = to.resolve(from.relativize(f).toString());
                        if (Files.isDirectory(f)) {
                            Files.createDirectories(t);
                        } else {
                            Files.copy(f, t, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            } else {
                Files.createDirectories(target);
                Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
            }
            entries.add(to.toString());
        }
        try (Stream<Path> files = Files.walk(target)) {
            files.forEach(f -> {
                f.toFile().setReadable(true, false);
                if (Files.isDirectory(f)) {
                    f.toFile().setExecutable(true, false);
                }
            });
        }
        for (Path dir = target; dir != null && !dir.equals(dir.getRoot()); dir = dir.getParent()) {
            dir.toFile().setExecutable(true, false);
        }
        return String.join(File.pathSeparator, entries);
    }
}
