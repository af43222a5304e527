package io.flotilla.manager;

/** A chain member as peers reach it: its ports are {@code firstPort + offset}. */
public record Member(long nodeId, String address, String ip, int basePort, int slot, int firstPort, String publicKey) {}
