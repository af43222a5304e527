package io.flotilla.subnode.config;

/**
 * Where a subnode's ports are: {@code basePort + slot x 16 + offset}. Offsets 5-15 are reserved for later use. The
 * agent allocates slots and writes the ports into config.json; the chain binds what the config says.
 */
public final class PortLayout {

    public static final int PER_SLOT = 16;
    public static final int CONSENSUS = 0;
    public static final int CATCH_UP = 1;
    public static final int RPC_HTTP = 2;
    public static final int RPC_WS = 3;
    public static final int METRICS = 4;
    /** Slots per node: one node serves at most this many chains. */
    public static final int MAX_SLOTS = 128;

    private PortLayout() {}

    /** The first (consensus) port of {@code slot}. */
    public static int first(int basePort, int slot) {
        if (slot < 0 || slot >= MAX_SLOTS) {
            throw new ConfigException("slot", "must be from 0 to " + (MAX_SLOTS - 1) + ": " + slot);
        }
        return basePort + slot * PER_SLOT;
    }

    /** The ports of {@code slot}. */
    public static Ports of(int basePort, int slot) {
        return Ports.from(first(basePort, slot));
    }

    /** The highest port a node with this base port may use. */
    public static int last(int basePort) {
        return basePort + MAX_SLOTS * PER_SLOT - 1;
    }
}
