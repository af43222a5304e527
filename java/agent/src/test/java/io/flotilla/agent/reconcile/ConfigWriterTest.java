package io.flotilla.agent.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config directory as a subnode finds it, whether the agent runs as root or as an ordinary user. */
class ConfigWriterTest {

    @TempDir
    Path tmp;

    @Test
    void withoutRootTheSubnodeUserReadsThroughOtherWithTheGroupsBits() {
        assertThat(ConfigWriter.readableByOthers("rw-r-----")).isEqualTo("rw-r--r--");
        assertThat(ConfigWriter.readableByOthers("rwxr-x---")).isEqualTo("rwxr-xr-x");
        assertThat(PosixFilePermissions.fromString(ConfigWriter.readableByOthers("rw-r-----"))).isNotEmpty();
    }

    /**
     * The agent's ConfigWriter in a child JVM run as uid/gid 65534 (setpriv): it cannot give the files the subnode's
     * group, so it must make them readable by others, with a valid mode, on the first write and on a live rewrite.
     */
    @Test
    void theKeyFilesAreTheConsensusKeysOnlyOwnedByTheSubnodeUserWithMode0600AndOldOperatorKeyFilesGo() throws Exception {
        Path data = tmp.resolve("owned");
        ConfigWriter writer = new ConfigWriter(data, "{\"consensus\":1}".getBytes(), "consensus-pw".getBytes(), 65534);
        io.flotilla.agent.runtime.ResourceLimits limits = new io.flotilla.agent.runtime.ResourceLimits(50_000, 100_000, 64, 256L << 20, 256);
        // The subnode of slot 0 runs as its own uid (issue 13 point 4): 200000 here.
        io.flotilla.agent.plan.DesiredSubnode s = new io.flotilla.agent.plan.DesiredSubnode("0a0b0c0d", 1, "owned", 3, 0, "1", "sha256:00",
                limits, "{}\n", "c1", "p1", new io.flotilla.agent.plan.SubnodeIsolation(200_000, "127.0.0.1", 20_000, List.of(), 1L << 30));
        // A config directory written by an earlier agent version, which copied the operator key into it.
        Path old = Files.createDirectories(writer.directoryOf(s));
        Files.writeString(old.resolve("node-key.json"), "operator keystore");
        Files.writeString(old.resolve("node-key.password"), "operator password");
        Path d = writer.write(s);
        try (Stream<Path> files = Files.list(d)) {
            assertThat(files.map(f -> f.getFileName().toString()).toList())
                    .containsExactlyInAnyOrder("config.json", "consensus-key.json", "consensus-key.password");
        }
        assertThat(Files.readString(d.resolve("consensus-key.password"))).isEqualTo("consensus-pw");
        boolean root = "root".equals(System.getProperty("user.name"));
        for (String secret : List.of("consensus-key.json", "consensus-key.password")) {
            String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(d.resolve(secret)));
            if (root) {
                assertThat(mode).isEqualTo("rw-------");
                assertThat(Files.getAttribute(d.resolve(secret), "unix:uid")).isEqualTo(200_000);
                assertThat(Files.getAttribute(d.resolve(secret), "unix:gid")).isEqualTo(200_000);
            } else {
                assertThat(mode).isEqualTo("rw-r--r--"); // not root: readable through "other"
            }
        }
    }

    @Test
    void anAgentRunningAsAnOrdinaryUserWritesAReadableConfigAndRewritesItLive() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        List<String> command = new ArrayList<>();
        boolean root = "root".equals(System.getProperty("user.name"));
        Path classes = copyClasses();
        if (root) {
            data.toFile().setWritable(true, false);
            tmp.toFile().setExecutable(true, false);
            command.addAll(List.of("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"));
        }
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classes.toString(),
                NonRootConfigWrite.class.getName(), data.toString(), "65533"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("dir rwxr-xr-x").contains("config.json rw-r--r--").contains("consensus-key.json rw-r--r--")
                .contains("consensus-key.password rw-r--r--").contains("content {\"members\":[1,2]}");
        if (root) {
            assertThat(Files.getOwner(data.resolve("subnodes/flotilla-0a0b0c0d-nonroot-3/config.json")).getName()).isNotEqualTo("root");
        }
    }

    /** The classes the child needs, in a folder every user can read (the build folder may not be). */
    private Path copyClasses() throws IOException {
        Path target = tmp.resolve("classes");
        for (String dir : new String[] {"target/classes", "target/test-classes"}) {
            Path from = Path.of(dir).toAbsolutePath();
            try (Stream<Path> files = Files.walk(from)) {
                for (Path f : files.toList()) {
                    Path to = target.resolve(from.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(to);
                    } else {
                        Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
        try (Stream<Path> files = Files.walk(tmp)) {
            files.forEach(f -> {
                f.toFile().setReadable(true, false);
                if (Files.isDirectory(f)) {
                    f.toFile().setExecutable(true, false);
                }
            });
        }
        return target;
    }
}
