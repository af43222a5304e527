package io.flotilla.chain.p2p;

import io.flotilla.evm.types.Address;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Refuses stale and replayed opening messages of the handshake. A member's opening message carries its clock (unix
 * seconds) and a fresh nonce under its signature; the responder accepts it only within {@link #WINDOW_SECONDS} of its
 * own clock and only once. So a recorded opening message can make a responder sign nothing, ever: outside the window
 * it is stale, inside it is a replay.
 *
 * <p>Memory: only openings whose signature verified are remembered, so only members spend it; each member at most
 * {@link #MAX_PER_MEMBER} within a window (more are refused: a member dialing that often harms only its own links).
 */
public final class HelloGuard {
    /** How far the initiator's clock may be from ours, either way. Members' clocks must be this close (NTP). */
    public static final long WINDOW_SECONDS = 30;
    static final int MAX_PER_MEMBER = 64;

    private record Seen(ByteBuffer nonce, long expiresAt) {}

    private final LongSupplier clockSeconds;
    private final Map<Address, ArrayDeque<Seen>> seen = new HashMap<>();

    public HelloGuard(LongSupplier clockSeconds) {
        this.clockSeconds = clockSeconds;
    }

    /** Why an opening with this timestamp is unacceptable now, or null when its time is within the window. */
    String staleness(long timestamp) {
        long now = clockSeconds.getAsLong();
        if (timestamp < now - WINDOW_SECONDS) return "stale opening message (" + (now - timestamp) + " s old)";
        if (timestamp > now + WINDOW_SECONDS) return "opening message from " + (timestamp - now) + " s in the future (clock skew?)";
        return null;
    }

    /**
     * Records a verified opening; false when the same member's nonce was seen within the window or the member opened
     * {@link #MAX_PER_MEMBER} handshakes within it.
     */
    synchronized boolean firstUse(Address initiator, byte[] nonce) {
        long now = clockSeconds.getAsLong();
        ArrayDeque<Seen> recent = seen.computeIfAbsent(initiator, a -> new ArrayDeque<>());
        while (!recent.isEmpty() && recent.peekFirst().expiresAt() < now) recent.removeFirst();
        ByteBuffer key = ByteBuffer.wrap(nonce.clone());
        for (Seen s : recent) {
            if (s.nonce().equals(key)) return false;
        }
        if (recent.size() >= MAX_PER_MEMBER) return false;
        // Kept for two windows: an opening stamped at the window's far edge stays recognisable until it is stale.
        recent.addLast(new Seen(key, now + 2 * WINDOW_SECONDS));
        return true;
    }
}
