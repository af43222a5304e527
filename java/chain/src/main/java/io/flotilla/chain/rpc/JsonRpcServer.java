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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * JSON-RPC 2.0 over HTTP POST on the JDK's built-in server (no framework: the node must stay small).
 * Handles single and batch requests and notifications; enforces body-size and batch-length limits.
 */
public final class JsonRpcServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(JsonRpcServer.class.getName());

    private final RpcConfig config;
    private final RpcDispatcher dispatcher;
    private final HttpServer server;
    private final ExecutorService workers;

    public JsonRpcServer(RpcConfig config, Map<String, RpcMethod> methods) throws IOException {
        this.config = config;
        this.dispatcher = new RpcDispatcher(methods, config.maxBatchSize());
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(config.threads(), r -> {
            Thread t = new Thread(null, r, "rpc-" + n.incrementAndGet(), 16L << 20); // eth_call may recurse deeply
            t.setDaemon(true);
            return t;
        });
        this.server = HttpServer.create(new InetSocketAddress(config.bindAddress(), config.port()), 64);
        server.setExecutor(workers);
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
            send(ex, 200, process(body));
        } catch (IOException | RuntimeException e) {
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
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
