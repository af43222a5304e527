package io.flotilla.agent.runtime;

/** One sample of a container's resource use: CPU in cores (1.0 = one full core) and memory in bytes. */
public record ContainerStats(double cpuCores, long memoryBytes, long memoryLimitBytes) {}
