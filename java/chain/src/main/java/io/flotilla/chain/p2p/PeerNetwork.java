package io.flotilla.chain.p2p;

import io.flotilla.evm.types.Address;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The mesh of authenticated, encrypted connections between the members of one chain.
 *
 * <p>Of every pair of members the one with the lower address dials and the other accepts, so a pair never has
 * two connections. A dialer reconnects with exponential backoff. Only current members are accepted; when the
 * member set changes, connections to members that left are closed. Each connection accepts at most
 * {@link PeerLimits#messagesPerSecond()} messages (with a burst); the excess is dropped and counted.
 */
public final class PeerNetwork implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PeerNetwork.class.getName());
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

    /** A chain member as the network reaches it. */
    public record Peer(Address address, InetSocketAddress endpoint) {}

    /** Receives every accepted message; called from the connection's reader thread. */
    @FunctionalInterface
    public interface MessageHandler {
        void onMessage(Address from, byte[] message);
    }

    private final NodeSigner self;
    private final long chainId;
    private final InetSocketAddress bind;
    private final PeerLimits limits;
    private final MessageHandler handler;
    private final SecureRandom random = new SecureRandom();
    private final Map<Address, Peer> members = new ConcurrentHashMap<>();
    private final Map<Address, SecureChannel> connections = new ConcurrentHashMap<>();
    private final Set<Address> dialing = ConcurrentHashMap.newKeySet();
    private final AtomicLong droppedByRate = new AtomicLong();
    private final AtomicLong refusedHandshakes = new AtomicLong();
    private final AtomicLong refusedOversize = new AtomicLong();
    private volatile boolean running;
    private ServerSocket server;

    public PeerNetwork(NodeSigner self, long chainId, InetSocketAddress bind, PeerLimits limits, MessageHandler handler) {
        this.self = self;
        this.chainId = chainId;
        this.bind = bind;
        this.limits = limits;
        this.handler = handler;
    }

    /** Binds the listening socket and starts accepting. */
    public synchronized void start() throws IOException {
        ServerSocket socket = new ServerSocket();
        try {
            socket.setReuseAddress(true);
            socket.bind(bind);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        server = socket;
        running = true;
        Thread.ofVirtual().name("p2p-accept").start(this::acceptLoop);
        dialMissing();
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return server.getLocalPort();
    }

    public Address address() {
        return self.address();
    }

    /** Replaces the member set: connects to new members, drops those that left. */
    public void setMembers(List<Peer> peers) {
        Map<Address, Peer> next = new ConcurrentHashMap<>();
        for (Peer p : peers) {
            if (!p.address().equals(self.address())) {
                next.put(p.address(), p);
            }
        }
        members.keySet().retainAll(next.keySet());
        members.putAll(next);
        for (Address gone : Set.copyOf(connections.keySet())) {
            if (!members.containsKey(gone)) {
                SecureChannel channel = connections.remove(gone);
                if (channel != null) {
                    channel.close();
                }
            }
        }
        if (running) {
            dialMissing();
        }
    }

    /** Starts a dialer for every member this node must dial (higher address) that has none. */
    private void dialMissing() {
        for (Peer p : members.values()) {
            if (self.address().compareTo(p.address()) < 0 && dialing.add(p.address())) {
                Thread.ofVirtual().name("p2p-dial-" + p.address()).start(() -> dialLoop(p.address()));
            }
        }
    }

    /**
     * Sends to one peer; false when it is not connected, the send failed, or the message is larger than a frame:
     * that is this node's own fault, so it is logged and refused, and the link stays up.
     */
    public boolean send(Address to, byte[] message) {
        if (message.length > limits.maxFrameBytes()) {
            refusedOversize.incrementAndGet();
            LOG.warning(() -> "not sending a message of " + message.length + " bytes (kind " + (message.length > 0 ? message[0] : -1)
                    + "): the frame limit is " + limits.maxFrameBytes());
            return false;
        }
        SecureChannel channel = connections.get(to);
        if (channel == null) {
            return false;
        }
        try {
            channel.send(message);
            return true;
        } catch (IOException e) {
            drop(to, channel, e);
            return false;
        }
    }

    /** Sends to every connected peer; returns how many it reached. */
    public int broadcast(byte[] message) {
        int sent = 0;
        for (Address peer : connections.keySet()) {
            if (send(peer, message)) {
                sent++;
            }
        }
        return sent;
    }

    public Set<Address> connectedPeers() {
        return Set.copyOf(connections.keySet());
    }

    public long droppedByRateLimit() {
        return droppedByRate.get();
    }

    /** Messages this node did not send because they exceeded the frame limit (none, when blocks are bounded). */
    public long refusedOversize() {
        return refusedOversize.get();
    }

    public long refusedHandshakes() {
        return refusedHandshakes.get();
    }

    @Override
    public synchronized void close() {
        running = false;
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException ignored) {
            // closing is best effort
        }
        connections.values().forEach(SecureChannel::close);
        connections.clear();
    }

    private void acceptLoop() {
        while (running) {
            try {
                Socket socket = server.accept();
                Thread.ofVirtual().name("p2p-in").start(() -> accept(socket));
            } catch (IOException e) {
                if (running) {
                    LOG.log(Level.FINE, "accept failed", e);
                }
            }
        }
    }

    private void accept(Socket socket) {
        SecureChannel channel;
        try {
            channel = SecureChannel.establish(socket, self, chainId, members::containsKey, limits, random);
        } catch (IOException e) {
            refusedHandshakes.incrementAndGet();
            LOG.fine(() -> "refused connection from " + socket.getRemoteSocketAddress() + ": " + e.getMessage());
            return;
        }
        serve(channel);
    }

    private void dialLoop(Address peerAddress) {
        long delay = 100;
        try {
            while (running && members.containsKey(peerAddress)) {
                Peer peer = members.get(peerAddress);
                if (peer == null) {
                    break;
                }
                try {
                    Socket socket = new Socket();
                    socket.connect(peer.endpoint(), (int) CONNECT_TIMEOUT.toMillis());
                    SecureChannel channel = SecureChannel.establish(socket, self, chainId, a -> a.equals(peerAddress), limits, random);
                    delay = 100;
                    serve(channel); // returns when the connection breaks
                } catch (IOException e) {
                    LOG.fine(() -> "dial " + peerAddress + " failed: " + e.getMessage());
                }
                if (!running) {
                    break;
                }
                Thread.sleep(delay);
                delay = Math.min(delay * 2, limits.maxReconnectDelay().toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            dialing.remove(peerAddress);
        }
    }

    /** Registers the channel and reads from it until it breaks. */
    private void serve(SecureChannel channel) {
        Address peer = channel.peer();
        SecureChannel previous = connections.put(peer, channel);
        if (previous != null && previous != channel) {
            previous.close();
        }
        double tokens = limits.burst();
        long last = System.nanoTime();
        try {
            while (running && members.containsKey(peer)) {
                byte[] message = channel.receive();
                long now = System.nanoTime();
                tokens = Math.min(limits.burst(), tokens + (now - last) / 1e9 * limits.messagesPerSecond());
                last = now;
                if (tokens < 1) {
                    droppedByRate.incrementAndGet();
                    continue;
                }
                tokens -= 1;
                handler.onMessage(peer, message);
            }
        } catch (IOException e) {
            LOG.fine(() -> "connection to " + peer + " closed: " + e.getMessage());
        } finally {
            drop(peer, channel, null);
        }
    }

    private void drop(Address peer, SecureChannel channel, IOException cause) {
        connections.remove(peer, channel);
        channel.close();
    }
}
