package io.flotilla.agent.reconcile;

import io.flotilla.agent.config.AgentSettings.Capacity;
import io.flotilla.agent.runtime.ResourceLimits;

/**
 * Resources of a subnode: (node capacity - agent reserve) x units / 128, for CPU (CFS quota over a 100 ms period,
 * and shares), memory, pids and the size of its data volume (io.flotilla.agent.isolation.VolumeQuota).
 */
public final class LimitsCalculator {

    public static final int UNITS_PER_NODE = 128;
    private static final long CPU_PERIOD_MICROS = 100_000;
    private static final long MIN_MEMORY_BYTES = 16L << 20;

    private final long cpuMillicores;
    private final long memoryMiB;
    private final long diskGiB;

    public LimitsCalculator(Capacity capacity, Capacity reserve) {
        this.cpuMillicores = Math.max(UNITS_PER_NODE, capacity.cpuMillicores() - reserve.cpuMillicores());
        this.memoryMiB = Math.max(UNITS_PER_NODE, capacity.memoryMiB() - reserve.memoryMiB());
        this.diskGiB = Math.max(0, capacity.diskGiB() - reserve.diskGiB());
    }

    /** Hard size of a subnode's data volume: (disk capacity - reserve) x units / 128, at least 32 MiB. */
    public long diskBytesForUnits(int units) {
        return Math.max(32L << 20, (diskGiB << 30) / UNITS_PER_NODE * units);
    }

    public ResourceLimits forUnits(int units) {
        long quota = Math.max(1_000, cpuMillicores * units * CPU_PERIOD_MICROS / (1000L * UNITS_PER_NODE));
        int shares = (int) Math.max(2, 1024L * units / UNITS_PER_NODE);
        long memory = Math.max(MIN_MEMORY_BYTES, (memoryMiB * units / UNITS_PER_NODE) << 20);
        long pids = Math.max(64, 4096L * units / UNITS_PER_NODE);
        return new ResourceLimits(quota, CPU_PERIOD_MICROS, shares, memory, pids);
    }
}
