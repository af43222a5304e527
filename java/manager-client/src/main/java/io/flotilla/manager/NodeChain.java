package io.flotilla.manager;

/** A chain a node serves, with the node's port slot for it. */
public record NodeChain(long chainId, String name, int slot, int unitsPerNode, String imageVersion) {}
