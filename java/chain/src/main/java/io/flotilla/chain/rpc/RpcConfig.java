package io.flotilla.chain.rpc;

/**
 * Where and how the JSON-RPC endpoint listens. Port 0 picks an ephemeral port. The limits keep one client from
 * exhausting a small node's memory or CPU.
 */
public record RpcConfig(String bindAddress, int port, int maxBodyBytes, int maxBatchSize, int threads) {
    public RpcConfig {
        if (bindAddress == null || bindAddress.isBlank()) throw new IllegalArgumentException("bind address required");
        if (port < 0 || port > 65_535) throw new IllegalArgumentException("port out of range: " + port);
        if (maxBodyBytes < 1 || maxBatchSize < 1 || threads < 1) throw new IllegalArgumentException("rpc limits must be positive");
    }

    /** Loopback only, 5 MiB bodies, batches of up to 100, four worker threads. */
    public static RpcConfig loopback(int port) {
        return new RpcConfig("127.0.0.1", port, 5 << 20, 100, 4);
    }
}
