package io.flotilla.chain.p2p;

import io.flotilla.evm.types.Address;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The mesh of authenticated, encrypted connections between the members of one chain.
 *
 * <p>Of every pair of members the one with the lower address dials and the other accepts. A dialer reconnects with
 * exponential backoff. Only current members are accepted; when the member set changes, connections to members that
 * left are closed. A new connection is registered only once its handshake completed (see {@link SecureChannel}); it
 * replaces a live one only if it was opened by the lower address of the pair or the live one was not, so a replayed
 * or relayed handshake never disturbs a link and two simultaneous dials converge on one connection.
 *
 * <p>Inbound handshakes are limited per IP address and in total ({@link PeerLimits#maxPendingPerIp()},
 * {@link PeerLimits#maxPendingHandshakes()}); the excess is closed at once, before anything is read.
 *
 * <p>Sending never blocks: every link has a bounded outbound queue and its own writer thread. A peer whose queue
 * overflows, or whose socket accepts nothing for {@link PeerLimits#writeTimeout()}, is disconnected (the dialer
 * reconnects later). Each connection accepts at most {@link PeerLimits#messagesPerSecond()} messages (with a
 * burst); the excess is dropped and counted.
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
    private final java.util.function.Consumer<Address> linkOpened;
    private final SecureRandom random = new SecureRandom();
    private final HelloGuard helloGuard = new HelloGuard(() -> System.currentTimeMillis() / 1000);
    private final Map<Address, Peer> members = new ConcurrentHashMap<>();
    private final Map<Address, SecureChannel> connections = new ConcurrentHashMap<>();
    private final Set<Address> dialing = ConcurrentHashMap.newKeySet();
    private final Map<InetAddress, AtomicInteger> pendingByIp = new ConcurrentHashMap<>();
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicLong droppedByRate = new AtomicLong();
    private final AtomicLong refusedHandshakes = new AtomicLong();
    private final AtomicLong refusedPending = new AtomicLong();
    private final AtomicLong handshakeReplies = new AtomicLong();
    private final AtomicLong refusedOversize = new AtomicLong();
    private final AtomicLong linksOpened = new AtomicLong();
    private final AtomicLong linksReplaced = new AtomicLong();
    private final AtomicLong duplicateLinks = new AtomicLong();
    private final AtomicLong slowPeersDropped = new AtomicLong();
    private volatile boolean running;
    private ServerSocket server;

    public PeerNetwork(NodeSigner self, long chainId, InetSocketAddress bind, PeerLimits limits, MessageHandler handler) {
        this(self, chainId, bind, limits, handler, peer -> {});
    }

    /**
     * @param linkOpened told (on the link's thread, after it is registered) each time a link with a member opens:
     *     a new member connected, or one came back (e.g. after its restart)
     */
    public PeerNetwork(NodeSigner self, long chainId, InetSocketAddress bind, PeerLimits limits, MessageHandler handler,
            java.util.function.Consumer<Address> linkOpened) {
        this.linkOpened = linkOpened;
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
            socket.bind(bind, 128);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        server = socket;
        running = true;
        Thread.ofVirtual().name("p2p-accept").start(this::acceptLoop);
        Thread.ofVirtual().name("p2p-watchdog").start(this::watchdog);
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
     * Queues a message for one peer and returns at once; false when it is not connected, its queue overflowed (the
     * link is then dropped: the peer is not reading), or the message is larger than a frame: that is this node's
     * own fault, so it is logged and refused, and the link stays up.
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
        if (channel.enqueue(message)) {
            return true;
        }
        if (!channel.isClosed()) {
            slowPeersDropped.incrementAndGet();
            LOG.info(() -> "disconnecting " + to + ": its outbound queue is full");
        }
        drop(to, channel);
        return false;
    }

    /** Queues a message for every connected peer (never blocks); returns how many accepted it. */
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

    /** Inbound and outbound handshakes that failed (not a member, bad or replayed messages, timeouts). */
    public long refusedHandshakes() {
        return refusedHandshakes.get();
    }

    /** Inbound connections closed unread because too many handshakes were pending (from their IP or in total). */
    public long refusedPendingHandshakes() {
        return refusedPending.get();
    }

    /** Inbound handshakes being run now. */
    public int pendingHandshakes() {
        return pending.get();
    }

    /** Inbound handshakes whose first message passed the cheap checks, so that this node generated a key and signed. */
    public long handshakeReplies() {
        return handshakeReplies.get();
    }

    /** Links registered after a completed handshake. */
    public long linksOpened() {
        return linksOpened.get();
    }

    /** Live links closed because a new completed handshake with the same peer won the tie-break. */
    public long linksReplaced() {
        return linksReplaced.get();
    }

    /** Completed handshakes closed because a live link with the peer won the tie-break. */
    public long duplicateLinksRefused() {
        return duplicateLinks.get();
    }

    /** Peers disconnected because their outbound queue overflowed or a write to them made no progress. */
    public long slowPeersDropped() {
        return slowPeersDropped.get();
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
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (running) {
                    LOG.log(Level.FINE, "accept failed", e);
                }
                continue;
            }
            InetAddress ip = socket.getInetAddress();
            AtomicInteger fromIp = pendingByIp.computeIfAbsent(ip, k -> new AtomicInteger());
            if (pending.get() >= limits.maxPendingHandshakes() || fromIp.get() >= limits.maxPendingPerIp()) {
                refusedPending.incrementAndGet();
                closeQuietly(socket);
                continue;
            }
            // Only this thread increments, so the checks above hold.
            pending.incrementAndGet();
            fromIp.incrementAndGet();
            Thread.ofVirtual().name("p2p-in").start(() -> {
                try {
                    accept(socket);
                } finally {
                    pending.decrementAndGet();
                    pendingByIp.computeIfPresent(ip, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
                }
            });
        }
    }

    /** Runs an inbound handshake (counted as pending), then serves the link on this thread. */
    private void accept(Socket socket) {
        SecureChannel channel;
        try {
            channel = SecureChannel.respond(socket, self, chainId, members::containsKey, limits, random, helloGuard,
                    handshakeReplies::incrementAndGet);
        } catch (IOException e) {
            refusedHandshakes.incrementAndGet();
            LOG.fine(() -> "refused connection from " + socket.getRemoteSocketAddress() + ": " + e.getMessage());
            return;
        }
        // The handshake is over: it no longer counts as pending while the link is served.
        Thread.ofVirtual().name("p2p-read-" + channel.peer()).start(() -> serve(channel));
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
                    try {
                        socket.connect(peer.endpoint(), (int) CONNECT_TIMEOUT.toMillis());
                    } catch (IOException e) {
                        socket.close();
                        throw e;
                    }
                    SecureChannel channel;
                    try {
                        channel = SecureChannel.initiate(socket, self, chainId, peerAddress, limits, random);
                    } catch (IOException e) {
                        refusedHandshakes.incrementAndGet();
                        throw e;
                    }
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

    /** Whether a link was opened by the lower address of the pair (the preferred direction). */
    private boolean preferred(SecureChannel channel) {
        boolean selfIsLower = self.address().compareTo(channel.peer()) < 0;
        return channel.initiatedBySelf() == selfIsLower;
    }

    /** Registers a completed link unless a live one wins the tie-break; false when it was refused (and closed). */
    private boolean register(SecureChannel channel) {
        Address peer = channel.peer();
        SecureChannel previous;
        synchronized (connections) {
            if (!running || !members.containsKey(peer)) {
                channel.close();
                return false;
            }
            previous = connections.get(peer);
            if (previous != null && !previous.isClosed() && preferred(previous) && !preferred(channel)) {
                duplicateLinks.incrementAndGet();
                channel.close();
                return false;
            }
            connections.put(peer, channel);
        }
        linksOpened.incrementAndGet();
        if (previous != null && previous != channel) {
            if (!previous.isClosed()) {
                linksReplaced.incrementAndGet();
            }
            previous.close();
        }
        channel.startWriter(() -> drop(peer, channel));
        try {
            linkOpened.accept(peer);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "link-opened listener failed for " + peer, e);
        }
        return true;
    }

    /** Registers the channel and reads from it until it breaks. */
    private void serve(SecureChannel channel) {
        if (!register(channel)) {
            return;
        }
        Address peer = channel.peer();
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
            drop(peer, channel);
        }
    }

    /** Closes links whose writer made no progress for the write timeout. */
    private void watchdog() {
        long timeout = limits.writeTimeout().toNanos();
        long every = Math.max(20, Math.min(250, limits.writeTimeout().toMillis() / 4));
        while (running) {
            try {
                Thread.sleep(every);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Map.Entry<Address, SecureChannel> e : connections.entrySet()) {
                if (e.getValue().stalledFor(now) > timeout) {
                    slowPeersDropped.incrementAndGet();
                    LOG.info(() -> "disconnecting " + e.getKey() + ": no write progress for " + limits.writeTimeout());
                    drop(e.getKey(), e.getValue());
                }
            }
        }
    }

    private void drop(Address peer, SecureChannel channel) {
        connections.remove(peer, channel);
        channel.close();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // best effort
        }
    }
}
