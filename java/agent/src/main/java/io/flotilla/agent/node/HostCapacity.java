package io.flotilla.agent.node;

import com.sun.management.OperatingSystemMXBean;
import io.flotilla.agent.config.AgentSettings.Capacity;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** The node's capacity: configured figures win, zero figures are detected from the host. */
public final class HostCapacity {

    private HostCapacity() {}

    public static Capacity resolve(Capacity configured, Path dataDir) {
        Capacity c = configured == null ? new Capacity(0, 0, 0) : configured;
        int cpu = c.cpuMillicores() > 0 ? c.cpuMillicores() : Runtime.getRuntime().availableProcessors() * 1000;
        long memory = c.memoryMiB() > 0 ? c.memoryMiB() : detectMemoryMiB();
        long disk = c.diskGiB() > 0 ? c.diskGiB() : detectDiskGiB(dataDir);
        return new Capacity(cpu, memory, disk);
    }

    private static long detectMemoryMiB() {
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return os.getTotalMemorySize() >> 20;
    }

    private static long detectDiskGiB(Path dataDir) {
        Path existing = dataDir.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        try {
            return existing == null ? 1 : Math.max(1, Files.getFileStore(existing).getTotalSpace() >> 30);
        } catch (IOException e) {
            return 1;
        }
    }
}
