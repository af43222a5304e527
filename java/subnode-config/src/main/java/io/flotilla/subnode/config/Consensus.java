package io.flotilla.subnode.config;

/**
 * @param engine the consensus engine's name ("bft")
 * @param blockTimeMs target time between blocks while there are transactions
 * @param heartbeatMs longest time without a block on an idle chain
 */
public record Consensus(String engine, long blockTimeMs, long heartbeatMs) {

    public static final long DEFAULT_BLOCK_TIME_MS = 1000;
    public static final long DEFAULT_HEARTBEAT_MS = 30_000;

    public Consensus {
        Check.text("engine", engine);
        Check.positive("blockTimeMs", blockTimeMs);
        Check.positive("heartbeatMs", heartbeatMs);
    }
}
