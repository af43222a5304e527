package io.flotilla.agent.reconcile;

import io.flotilla.agent.plan.DesiredSubnode;
import io.flotilla.agent.runtime.ResourceLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Run by {@link ConfigWriterTest} in a child JVM as an unprivileged user: writes a subnode's config directory twice
 * (the second time with a new member set) with the agent's ConfigWriter and prints each file's mode.
 */
public final class NonRootConfigWrite {

    private NonRootConfigWrite() {}

    public static void main(String[] args) throws Exception {
        Path dataDir = Path.of(args[0]);
        // The subnode's group is one this user is not in, so the files cannot be given to it.
        ConfigWriter writer = new ConfigWriter(dataDir, "{\"key\":1}".getBytes(), "pw".getBytes(), Integer.parseInt(args[1]));
        ResourceLimits limits = new ResourceLimits(50_000, 100_000, 64, 256L << 20, 256);
        DesiredSubnode first = new DesiredSubnode("0a0b0c0d", 1, "nonroot", 3, 0, "1", "sha256:00", limits, "{\"members\":[1]}\n", "c1", "p1");
        DesiredSubnode second = new DesiredSubnode("0a0b0c0d", 1, "nonroot", 3, 0, "1", "sha256:00", limits, "{\"members\":[1,2]}\n", "c2", "p1");
        Path dir = writer.write(first);
        writer.write(second);
        System.out.println("dir " + PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        for (String name : new String[] {ConfigWriter.CONFIG_FILE, "consensus-key.json", "consensus-key.password"}) {
            System.out.println(name + " " + PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(name))));
        }
        System.out.println("content " + Files.readString(dir.resolve(ConfigWriter.CONFIG_FILE)).strip());
    }
}
