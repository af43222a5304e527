package io.flotilla.agent.reconcile;

/**
 * Ports of a subnode: basePort + slot x 16 + offset. Offsets 5-15 are reserved for later use.
 */
public final class Ports {

    public static final int PER_SLOT = 16;
    public static final int CONSENSUS = 0;
    public static final int CATCH_UP = 1;
    public static final int RPC_HTTP = 2;
    public static final int RPC_WS = 3;
    public static final int METRICS = 4;

    private Ports() {}

    public static int first(int basePort, int slot) {
        return basePort + slot * PER_SLOT;
    }
}
