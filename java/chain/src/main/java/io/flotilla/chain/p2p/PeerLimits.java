package io.flotilla.chain.p2p;

import java.time.Duration;

/**
 * Limits of the peer network.
 *
 * @param maxFrameBytes largest message accepted; a larger one closes the connection
 * @param messagesPerSecond sustained messages accepted per connection; more are dropped and counted
 * @param burst messages accepted at once above the sustained rate
 * @param handshakeTimeout how long a new connection may take to authenticate
 * @param maxReconnectDelay longest wait between reconnection attempts (the delay doubles from 100 ms)
 */
public record PeerLimits(int maxFrameBytes, int messagesPerSecond, int burst, Duration handshakeTimeout, Duration maxReconnectDelay) {

    public static PeerLimits defaults() {
        return new PeerLimits(4 << 20, 2_000, 4_000, Duration.ofSeconds(5), Duration.ofSeconds(10));
    }
}
