package io.flotilla.agent.runtime;

/**
 * Resource limits of one subnode container.
 *
 * @param cpuQuotaMicros CPU time per {@code cpuPeriodMicros} (quota / period = cores)
 * @param cpuPeriodMicros CFS period
 * @param cpuShares relative weight when CPUs are contended
 * @param memoryBytes hard memory limit (swap is not allowed beyond it)
 * @param pidsLimit maximum number of processes and threads
 */
public record ResourceLimits(long cpuQuotaMicros, long cpuPeriodMicros, int cpuShares, long memoryBytes, long pidsLimit) {}
