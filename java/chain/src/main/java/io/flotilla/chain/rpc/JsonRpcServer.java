package io.flotilla.chain.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * JSON-RPC 2.0 over HTTP POST on the JDK's built-in server (no framework: the node must stay small).
 * Handles single and batch requests and notifications; enforces body-size and batch-length limits.
 */
public final class JsonRpcServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(JsonRpcServer.class.getName());

    /** EIP-1474's code for a request refused because of a rate or resource limit. */
    static final int LIMIT_EXCEEDED = -32005;

    private final RpcConfig config;
    private final RpcDispatcher dispatcher;
    private final HttpServer server;
    /** Requests waiting for a processing thread, per thread, before new ones are refused. */
    static final int QUEUED_REQUESTS_PER_THREAD = 64;

    private final ThreadPoolExecutor workers;
    private final ExecutorService exchanges;

    public JsonRpcServer(RpcConfig config, Map<String, RpcMethod> methods) throws IOException {
        this.config = config;
        this.dispatcher = new RpcDispatcher(methods, config.maxBatchSize());
        AtomicInteger n = new AtomicInteger();
        // Requests are processed by a few platform threads with deep stacks (eth_call may recurse deeply), with a
        // bounded queue; a full queue answers "limit exceeded" instead of letting work pile up. They run at a lower
        // priority than consensus and execution (Niceness): however busy clients keep them, blocks go on.
        this.workers = new ThreadPoolExecutor(config.threads(), config.threads(), 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(QUEUED_REQUESTS_PER_THREAD * config.threads()), r -> {
                    Thread t = new Thread(null, io.flotilla.chain.os.Niceness.lowered(r), "rpc-" + n.incrementAndGet(), 16L << 20);
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
        // Exchanges (reading a request, writing its answer) run on virtual threads: a client that sends or reads
        // slowly holds one virtual thread, never one of the processing threads.
        this.exchanges = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("rpc-exchange-", 0).factory());
        this.server = HttpServer.create(new InetSocketAddress(config.bindAddress(), config.port()), 64);
        server.setExecutor(exchanges);
        server.createContext("/", this::handle);
    }

    public JsonRpcServer start() {
        server.start();
        return this;
    }

    /** The bound port (useful when configured with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    public String url() {
        return "http://" + config.bindAddress() + ":" + port() + "/";
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if ("OPTIONS".equals(ex.getRequestMethod())) {
                send(ex, 204, null);
                return;
            }
            if (!"POST".equals(ex.getRequestMethod())) {
                send(ex, 405, error(NullNode.getInstance(), RpcException.INVALID_REQUEST, "only POST is supported", null));
                return;
            }
            byte[] body = readLimited(ex.getRequestBody(), config.maxBodyBytes());
            if (body == null) {
                // Discard (without buffering) what the client is still sending, so it can read the 413 instead of
                // seeing a reset; past a generous bound the connection is simply dropped.
                drain(ex.getRequestBody(), 16L * config.maxBodyBytes());
                send(ex, 413, error(NullNode.getInstance(), RpcException.INVALID_REQUEST, "request body too large", null));
                return;
            }
            JsonNode answer;
            try {
                answer = workers.submit(() -> process(body)).get();
            } catch (RejectedExecutionException e) {
                send(ex, 503, error(NullNode.getInstance(), LIMIT_EXCEEDED, "limit exceeded: too many requests in progress", null));
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException e) {
                LOG.log(System.Logger.Level.ERROR, "rpc processing failed", e.getCause());
                send(ex, 500, error(NullNode.getInstance(), RpcException.INTERNAL_ERROR, "internal error", null));
                return;
            }
            send(ex, 200, answer);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "rpc exchange failed: " + e.getMessage()); // clients hang up; not our fault
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "rpc exchange failed", e);
        }
    }

    /** Processes one HTTP body; returns null when nothing must be answered (only notifications). */
    JsonNode process(byte[] body) {
        return dispatcher.process(body);
    }

    private JsonNode error(JsonNode id, int code, String message, Object data) {
        return dispatcher.error(id, code, message, data);
    }

    private void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        ex.getResponseHeaders().set("Access-Control-Allow-Origin", "*");
        ex.getResponseHeaders().set("Access-Control-Allow-Headers", "Content-Type");
        if (body == null) {
            ex.sendResponseHeaders(status == 200 ? 204 : status, -1);
            return;
        }
        byte[] bytes = dispatcher.mapper().writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    /** Reads at most {@code max} bytes; null if the body is larger (the rest is not read). */
    private static byte[] readLimited(InputStream in, int max) throws IOException {
        byte[] data = in.readNBytes(max + 1);
        return data.length > max ? null : data;
    }

    private static void drain(InputStream in, long max) throws IOException {
        byte[] buf = new byte[64 << 10];
        long total = 0;
        int n;
        while (total < max && (n = in.read(buf)) > 0) total += n;
    }

    @Override
    public void close() {
        server.stop(0);
        exchanges.shutdownNow();
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
