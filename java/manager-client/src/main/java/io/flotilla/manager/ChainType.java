package io.flotilla.manager;

/** A chain type a developer can buy: {@code nodeCount} members with {@code unitsPerNode} of 128 units each. */
public record ChainType(String name, int unitsPerNode, int nodeCount, boolean enabled) {}
