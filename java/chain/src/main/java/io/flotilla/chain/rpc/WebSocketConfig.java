package io.flotilla.chain.rpc;

/**
 * Where the WebSocket JSON-RPC endpoint listens and the limits that keep clients from exhausting a small node.
 *
 * @param port 0 picks an ephemeral port
 * @param maxConnections further handshakes are answered 503
 * @param maxMessageBytes a larger message (all fragments together) closes the connection with 1009
 * @param maxBatchSize longest JSON-RPC batch
 * @param maxSubscriptions eth_subscribe subscriptions per connection
 * @param maxQueuedBytes frames waiting to be written to one connection; a client that lets more pile up is dropped
 * @param maxInFlight requests of one connection executed at once; the connection is not read while at the limit
 * @param threads workers executing requests for all connections
 */
public record WebSocketConfig(String bindAddress, int port, int maxConnections, int maxMessageBytes, int maxBatchSize,
                              int maxSubscriptions, int maxQueuedBytes, int maxInFlight, int threads) {
    public WebSocketConfig {
        if (bindAddress == null || bindAddress.isBlank()) throw new IllegalArgumentException("bind address required");
        if (port < 0 || port > 65_535) throw new IllegalArgumentException("port out of range: " + port);
        if (maxConnections < 1 || maxMessageBytes < 1 || maxBatchSize < 1 || maxSubscriptions < 1 || maxQueuedBytes < 1
                || maxInFlight < 1 || threads < 1) {
            throw new IllegalArgumentException("websocket limits must be positive");
        }
    }

    /** 64 connections, 1 MiB messages, batches of 100, 32 subscriptions and 4 MiB of queued output per connection. */
    public static WebSocketConfig defaults(String bindAddress, int port) {
        return new WebSocketConfig(bindAddress, port, 64, 1 << 20, 100, 32, 4 << 20, 8, 2);
    }

    public WebSocketConfig withMaxMessageBytes(int v) {
        return new WebSocketConfig(bindAddress, port, maxConnections, v, maxBatchSize, maxSubscriptions, maxQueuedBytes, maxInFlight, threads);
    }

    public WebSocketConfig withMaxConnections(int v) {
        return new WebSocketConfig(bindAddress, port, v, maxMessageBytes, maxBatchSize, maxSubscriptions, maxQueuedBytes, maxInFlight, threads);
    }

    public WebSocketConfig withMaxSubscriptions(int v) {
        return new WebSocketConfig(bindAddress, port, maxConnections, maxMessageBytes, maxBatchSize, v, maxQueuedBytes, maxInFlight, threads);
    }

    public WebSocketConfig withMaxQueuedBytes(int v) {
        return new WebSocketConfig(bindAddress, port, maxConnections, maxMessageBytes, maxBatchSize, maxSubscriptions, v, maxInFlight, threads);
    }
}
