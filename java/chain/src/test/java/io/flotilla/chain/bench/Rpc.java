package io.flotilla.chain.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * A small JSON-RPC 2.0 client over one keep-alive HTTP/1.1 connection ({@link HttpConnection}); a thread that owns
 * an instance has its own connection. Used for both targets (Flotilla replicas and the Hardhat node).
 */
final class Rpc {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** A JSON-RPC error answer. */
    static final class RpcError extends IOException {
        RpcError(String method, JsonNode error) {
            super(method + ": " + error.path("message").asText(error.toString()));
        }
    }

    private final URI uri;
    private final HttpConnection http;
    private long ids;

    Rpc(String url) {
        this.uri = URI.create(url);
        this.http = new HttpConnection(uri);
    }

    String url() {
        return uri.toString();
    }

    /** One call; the "result" member, or an {@link RpcError}. */
    JsonNode call(String method, Object... params) throws IOException {
        JsonNode answer = post(request(method, params));
        if (answer.has("error")) {
            throw new RpcError(method, answer.get("error"));
        }
        return answer.path("result");
    }

    /** One batch of calls of the same method; results in order, {@code null} where the call failed. */
    List<JsonNode> batch(String method, List<Object[]> paramsList) throws IOException {
        return batch(method, paramsList, 100);
    }

    /** As above, {@code size} calls per HTTP request (keep large answers, such as block receipts, small). */
    List<JsonNode> batch(String method, List<Object[]> paramsList, int size) throws IOException {
        List<JsonNode> results = new ArrayList<>();
        for (int from = 0; from < paramsList.size(); from += size) {
            ArrayNode batch = NODES.arrayNode();
            long first = ids + 1;
            for (Object[] params : paramsList.subList(from, Math.min(paramsList.size(), from + size))) {
                batch.add(request(method, params));
            }
            JsonNode answer = post(batch);
            if (!answer.isArray()) {
                throw new IOException(method + " batch: " + answer);
            }
            JsonNode[] ordered = new JsonNode[batch.size()];
            for (JsonNode a : answer) {
                int i = (int) (a.path("id").asLong() - first);
                if (i >= 0 && i < ordered.length && !a.has("error")) {
                    ordered[i] = a.path("result");
                }
            }
            results.addAll(java.util.Arrays.asList(ordered));
        }
        return results;
    }

    /** Sends a request body once (never repeated: it may be a transaction); returns the raw answer. */
    byte[] sendOnce(byte[] body) throws IOException {
        return http.post(body, false);
    }

    private JsonNode post(JsonNode body) throws IOException {
        return JSON.readTree(http.post(JSON.writeValueAsBytes(body), true));
    }

    private ObjectNode request(String method, Object... params) {
        ObjectNode r = NODES.objectNode();
        r.put("jsonrpc", "2.0");
        r.put("id", ++ids);
        r.put("method", method);
        ArrayNode p = r.putArray("params");
        for (Object o : params) {
            p.add(JSON.valueToTree(o));
        }
        return r;
    }

    static long quantity(JsonNode n) {
        String s = n.asText();
        return Long.parseLong(s.startsWith("0x") ? s.substring(2) : s, 16);
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    void close() {
        http.close();
    }
}
