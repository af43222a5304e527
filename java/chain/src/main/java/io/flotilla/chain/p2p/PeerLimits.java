package io.flotilla.chain.p2p;

import java.time.Duration;

/**
 * Limits of the peer network.
 *
 * @param maxFrameBytes largest message accepted; a larger one closes the connection
 * @param messagesPerSecond sustained messages accepted per connection; more are dropped and counted
 * @param burst messages accepted at once above the sustained rate
 * @param handshakeTimeout how long a new connection may take to authenticate (the whole handshake, not each read)
 * @param maxReconnectDelay longest wait between reconnection attempts (the delay doubles from 100 ms)
 * @param maxPendingHandshakes inbound connections still authenticating, in total; more are closed at once
 * @param maxPendingPerIp inbound connections still authenticating from one IP address
 * @param maxQueuedMessages messages waiting to be written to one peer; a peer whose queue overflows is disconnected
 * @param maxQueuedBytes bytes waiting to be written to one peer (at least {@code maxFrameBytes})
 * @param writeTimeout a write to a peer that makes no progress for this long closes the link
 */
public record PeerLimits(int maxFrameBytes, int messagesPerSecond, int burst, Duration handshakeTimeout, Duration maxReconnectDelay,
        int maxPendingHandshakes, int maxPendingPerIp, int maxQueuedMessages, long maxQueuedBytes, Duration writeTimeout) {

    public PeerLimits {
        if (maxQueuedBytes < maxFrameBytes) {
            throw new IllegalArgumentException("the outbound queue must hold at least one frame");
        }
    }

    /** The given frame, rate and timing limits with the default handshake and queue limits. */
    public PeerLimits(int maxFrameBytes, int messagesPerSecond, int burst, Duration handshakeTimeout, Duration maxReconnectDelay) {
        this(maxFrameBytes, messagesPerSecond, burst, handshakeTimeout, maxReconnectDelay, 64, 4, 8_192,
                Math.max(16L << 20, maxFrameBytes), Duration.ofSeconds(5));
    }

    public static PeerLimits defaults() {
        return new PeerLimits(4 << 20, 2_000, 4_000, Duration.ofSeconds(5), Duration.ofSeconds(10));
    }

    public PeerLimits withQueue(int messages, long bytes, Duration timeout) {
        return new PeerLimits(maxFrameBytes, messagesPerSecond, burst, handshakeTimeout, maxReconnectDelay, maxPendingHandshakes,
                maxPendingPerIp, messages, bytes, timeout);
    }

    public PeerLimits withPending(int total, int perIp) {
        return new PeerLimits(maxFrameBytes, messagesPerSecond, burst, handshakeTimeout, maxReconnectDelay, total, perIp,
                maxQueuedMessages, maxQueuedBytes, writeTimeout);
    }
}
