package io.flotilla.chain.rpc;

import static io.flotilla.chain.rpc.WebSocketCodec.CLOSE_GOING_AWAY;
import static io.flotilla.chain.rpc.WebSocketCodec.CLOSE_NO_STATUS;
import static io.flotilla.chain.rpc.WebSocketCodec.OP_CLOSE;
import static io.flotilla.chain.rpc.WebSocketCodec.OP_PONG;

import com.fasterxml.jackson.databind.JsonNode;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.ExecutedBlock;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ethereum JSON-RPC over WebSocket (RFC 6455, own implementation: the JDK has no WebSocket server). Every method of
 * the HTTP endpoint works here too, plus eth_subscribe / eth_unsubscribe for "newHeads" and "logs" with the
 * standard eth_subscription notifications.
 * <p>Threads: one acceptor; per connection a virtual thread reading and one writing; a small pool of platform
 * threads (deep stacks, as for HTTP) executing requests; one thread rendering and fanning out committed blocks.
 * <p>Limits ({@link WebSocketConfig}): connections, message size (close 1009), subscriptions per connection,
 * requests in flight per connection (the connection is not read meanwhile), and the bytes queued for a connection:
 * a client that does not read its notifications is dropped instead of growing the node's memory.
 */
public final class WebSocketRpcServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WebSocketRpcServer.class.getName());
    private static final int HANDSHAKE_TIMEOUT_MS = 10_000;
    private static final int MAX_HANDSHAKE_BYTES = 16 << 10;
    private static final long CLOSE_WAIT_MS = 1_000;

    private final WebSocketConfig config;
    private final EthApi api;
    private final RpcDispatcher dispatcher;
    private final ServerSocket server;
    private final ExecutorService workers;
    private final ExecutorService notifier;
    private final Thread acceptor;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connectionIds = new AtomicInteger();
    private volatile boolean closed;

    /** Binds {@code config}'s address and port and listens to {@code chain}'s commits; call {@link #start()} to serve. */
    public WebSocketRpcServer(WebSocketConfig config, EthApi api, ChainState chain) throws IOException {
        this.config = config;
        this.api = api;
        this.dispatcher = new RpcDispatcher(api.methods(), config.maxBatchSize());
        this.server = new ServerSocket();
        try {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(config.bindAddress(), config.port()), 64);
        } catch (IOException e) {
            server.close();
            throw e;
        }
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(config.threads(), r -> {
            Thread t = new Thread(null, r, "ws-rpc-" + n.incrementAndGet(), 16L << 20); // eth_call may recurse deeply
            t.setDaemon(true);
            return t;
        });
        this.notifier = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ws-notify");
            t.setDaemon(true);
            return t;
        });
        this.acceptor = Thread.ofPlatform().daemon().name("ws-accept").unstarted(this::acceptLoop);
        chain.onCommit(this::committed);
    }

    public WebSocketRpcServer start() {
        acceptor.start();
        return this;
    }

    /** The bound port (useful when configured with port 0). */
    public int port() {
        return server.getLocalPort();
    }

    public String url() {
        return "ws://" + config.bindAddress() + ":" + port() + "/";
    }

    /** Open connections, handshakes in progress included. */
    int connectionCount() {
        return connections.size();
    }

    // ---- accepting ----

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (closed) return;
                LOG.log(System.Logger.Level.WARNING, "websocket accept failed: " + e.getMessage());
                sleepQuietly(100); // e.g. out of file descriptors: do not spin
                continue;
            }
            if (connections.size() >= config.maxConnections()) {
                Thread.ofVirtual().name("ws-refuse").start(() -> refuse(s));
                continue;
            }
            Connection c = new Connection(s, connectionIds.incrementAndGet());
            connections.add(c);
            Thread.ofVirtual().name("ws-" + c.id).start(c::run);
        }
    }

    /** Answers 503 to a handshake beyond the connection limit (after reading it, so the client sees the answer). */
    private static void refuse(Socket s) {
        try (s) {
            s.setSoTimeout(2_000);
            try {
                WebSocketCodec.readRequest(new BufferedInputStream(s.getInputStream()), MAX_HANDSHAKE_BYTES);
            } catch (IOException ignored) {
                // answer anyway
            }
            OutputStream out = s.getOutputStream();
            out.write(WebSocketCodec.refusal(503, "too many WebSocket connections"));
            out.flush();
        } catch (IOException ignored) {
            // the client is gone
        }
    }

    // ---- notifications ----

    private void committed(ExecutedBlock block) {
        if (closed || connections.isEmpty()) return;
        try {
            notifier.execute(() -> publish(block)); // never block the committing (consensus) thread
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void publish(ExecutedBlock block) {
        try {
            Subscriptions.BlockNotice notice = new Subscriptions.BlockNotice(block, api, dispatcher.mapper());
            for (Connection c : connections) c.publish(notice);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "websocket notification failed", e);
        }
    }

    // ---- closing ----

    /** Stops accepting, says "going away" (1001) to every client, waits briefly for their close, then drops the rest. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // already closed
        }
        for (Connection c : connections) c.queueClose(CLOSE_GOING_AWAY, "server shutting down");
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MS);
        while (!connections.isEmpty() && System.nanoTime() < deadline) sleepQuietly(10);
        for (Connection c : connections) c.terminate();
        notifier.shutdownNow();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(5, TimeUnit.SECONDS)) workers.shutdownNow();
            acceptor.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One client. Its lock guards the subscriptions and the order of queued frames. */
    private final class Connection {
        final int id;
        private final Socket socket;
        private final LinkedBlockingQueue<byte[]> outbound = new LinkedBlockingQueue<>();
        private final AtomicLong queuedBytes = new AtomicLong();
        private final Semaphore inFlight = new Semaphore(config.maxInFlight());
        private final Subscriptions subscriptions = new Subscriptions(config.maxSubscriptions()); // guarded by this
        private boolean closeQueued;                                                                // guarded by this
        private volatile boolean terminated;
        private volatile Thread writer;

        Connection(Socket socket, int id) {
            this.socket = socket;
            this.id = id;
        }

        void run() {
            try {
                socket.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
                socket.setTcpNoDelay(true);
                InputStream in = new BufferedInputStream(socket.getInputStream(), 16 << 10);
                OutputStream out = socket.getOutputStream();
                if (!handshake(in, out)) return;
                socket.setSoTimeout(0); // subscribers may stay silent for hours
                writer = Thread.ofVirtual().name("ws-" + id + "-write").start(() -> writeLoop(out));
                if (terminated) writer.interrupt();
                readLoop(in);
            } catch (SocketException | java.io.EOFException | java.net.SocketTimeoutException e) {
                // the client went away or never finished its handshake: nothing to tell it
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "websocket connection " + id + " failed: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                terminate();
            }
        }

        private boolean handshake(InputStream in, OutputStream out) throws IOException {
            try {
                String accept = WebSocketCodec.accept(WebSocketCodec.readRequest(in, MAX_HANDSHAKE_BYTES));
                out.write(WebSocketCodec.switchingProtocols(accept));
                out.flush();
                return true;
            } catch (WebSocketCodec.HandshakeException e) {
                out.write(WebSocketCodec.refusal(e.status(), e.getMessage()));
                out.flush();
                return false;
            }
        }

        private void readLoop(InputStream in) throws IOException, InterruptedException {
            WebSocketCodec.Reader reader = new WebSocketCodec.Reader(in, config.maxMessageBytes());
            try {
                while (true) {
                    WebSocketCodec.Message m = reader.next();
                    if (m == null) return; // TCP closed without a close frame
                    switch (m) {
                        case WebSocketCodec.Text t -> execute(t.utf8());
                        case WebSocketCodec.Ping p -> send(WebSocketCodec.frame(OP_PONG, p.payload()));
                        case WebSocketCodec.Pong p -> {
                            // unsolicited pongs are allowed and ignored
                        }
                        case WebSocketCodec.Close c -> {
                            // Echo the client's close (unless it answers ours), let the writer flush it, then close TCP.
                            queueClose(c.code() == CLOSE_NO_STATUS ? -1 : c.code(), "");
                            awaitWriter();
                            return;
                        }
                    }
                }
            } catch (WebSocketCodec.ProtocolException e) {
                queueClose(e.code(), e.getMessage());
                awaitWriter();
                drainBeforeClosing(in);
            }
        }

        /**
         * After failing the connection: half-close, then read (and discard) what the client still sends for a moment,
         * so closing the socket does not reset the connection before the client has read our close frame.
         */
        private void drainBeforeClosing(InputStream in) {
            try {
                socket.shutdownOutput();
                socket.setSoTimeout((int) CLOSE_WAIT_MS);
                byte[] buf = new byte[8192];
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MS);
                long budget = config.maxMessageBytes() + (64L << 10);
                int n;
                while (budget > 0 && System.nanoTime() < deadline && (n = in.read(buf)) > 0) budget -= n;
            } catch (IOException ignored) {
                // timed out or reset: close now
            }
        }

        private void execute(byte[] utf8) throws InterruptedException {
            synchronized (this) {
                if (closeQueued) return; // after a close frame, further data is ignored
            }
            inFlight.acquire();
            try {
                workers.execute(() -> {
                    try {
                        handle(utf8);
                    } finally {
                        inFlight.release();
                    }
                });
            } catch (RejectedExecutionException e) {
                inFlight.release(); // closing
            }
        }

        private void handle(byte[] utf8) {
            List<String> created = new ArrayList<>();
            JsonNode response = dispatcher.process(utf8, name -> switch (name) {
                case "eth_subscribe" -> p -> {
                    synchronized (this) {
                        String sub = subscriptions.subscribe(p);
                        created.add(sub);
                        return sub;
                    }
                };
                case "eth_unsubscribe" -> p -> {
                    synchronized (this) {
                        return subscriptions.unsubscribe(p);
                    }
                };
                default -> dispatcher.method(name);
            });
            byte[] frame;
            try {
                frame = response == null ? null : WebSocketCodec.frame(WebSocketCodec.OP_TEXT, dispatcher.mapper().writeValueAsBytes(response));
            } catch (IOException e) {
                LOG.log(System.Logger.Level.ERROR, "cannot render a websocket answer", e);
                return;
            }
            synchronized (this) {
                if (frame != null) send(frame);
                for (String sub : created) subscriptions.activate(sub); // the answer with the id goes out first
            }
        }

        synchronized void publish(Subscriptions.BlockNotice notice) {
            if (terminated || closeQueued || subscriptions.isEmpty()) return;
            for (String n : subscriptions.notifications(notice)) {
                if (!send(WebSocketCodec.text(n))) return;
            }
        }

        /**
         * Queues a frame; false when the connection is closing. A client with more than maxQueuedBytes waiting is
         * dropped (a single larger answer is still sent when nothing else waits).
         */
        synchronized boolean send(byte[] frame) {
            if (terminated || closeQueued) return false;
            long queued = queuedBytes.get();
            if (queued > 0 && queued + frame.length > config.maxQueuedBytes()) {
                LOG.log(System.Logger.Level.WARNING, "dropping websocket client " + socket.getRemoteSocketAddress() + ": it does not read ("
                        + queued + " bytes waiting)");
                terminate();
                return false;
            }
            queuedBytes.addAndGet(frame.length);
            outbound.add(frame);
            return true;
        }

        /** Queues the close frame (code -1: without a code) once; nothing is sent after it. */
        synchronized void queueClose(int code, String reason) {
            if (terminated || closeQueued) return;
            closeQueued = true;
            outbound.add(code < 0 ? WebSocketCodec.frame(OP_CLOSE, new byte[0]) : WebSocketCodec.closeFrame(code, reason));
        }

        private void writeLoop(OutputStream socketOut) {
            OutputStream out = new BufferedOutputStream(socketOut, 16 << 10);
            try {
                while (true) {
                    byte[] f = outbound.poll();
                    if (f == null) {
                        out.flush();
                        f = outbound.take();
                    }
                    queuedBytes.addAndGet(-f.length);
                    out.write(f);
                    if (WebSocketCodec.isCloseFrame(f)) {
                        out.flush();
                        return;
                    }
                }
            } catch (IOException e) {
                terminate();
            } catch (InterruptedException e) {
                // terminating
            }
        }

        /** Waits (bounded) until the writer has flushed the close frame. */
        private void awaitWriter() throws InterruptedException {
            Thread w = writer;
            if (w != null) w.join(CLOSE_WAIT_MS);
        }

        /** Drops the connection now: closes the socket, stops the writer, forgets the subscriptions. */
        void terminate() {
            synchronized (this) {
                if (terminated) return;
                terminated = true;
                closeQueued = true;
            }
            connections.remove(this);
            try {
                socket.close();
            } catch (IOException ignored) {
                // already closed
            }
            Thread w = writer;
            if (w != null && w != Thread.currentThread()) w.interrupt();
            outbound.clear();
        }
    }
}
