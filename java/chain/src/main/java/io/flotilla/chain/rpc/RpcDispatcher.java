package io.flotilla.chain.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Map;
import java.util.function.Function;

/**
 * JSON-RPC 2.0 processing independent of the transport: parsing, single and batch requests, notifications,
 * the standard error objects. Shared by the HTTP and the WebSocket servers, so both answer alike.
 */
final class RpcDispatcher {
    private static final System.Logger LOG = System.getLogger(RpcDispatcher.class.getName());

    /** The answers of one batch together (geth's default BatchResponseMaxSize is 25 MB; a subnode has less memory). */
    static final long MAX_BATCH_RESPONSE_BYTES = 16L << 20;
    /** geth's code for a batch answer cut short by the size limit. */
    static final int RESPONSE_TOO_LARGE = -32003;

    private final ObjectMapper mapper = new ObjectMapper();
    private final Map<String, RpcMethod> methods;
    private final int maxBatchSize;
    private final java.util.Set<String> loggedFailures = new java.util.HashSet<>();

    RpcDispatcher(Map<String, RpcMethod> methods, int maxBatchSize) {
        this.methods = Map.copyOf(methods);
        this.maxBatchSize = maxBatchSize;
    }

    ObjectMapper mapper() {
        return mapper;
    }

    /** Processes one request body with the shared method table; null when nothing must be answered. */
    JsonNode process(byte[] body) {
        return process(body, methods::get);
    }

    /**
     * Processes one request body (a request or a batch); {@code lookup} finds the method for a name (a transport
     * can put its own methods, e.g. eth_subscribe, in front of the shared table). Returns null when nothing must be
     * answered (only notifications).
     */
    JsonNode process(byte[] body, Function<String, RpcMethod> lookup) {
        JsonNode req;
        try {
            req = mapper.readTree(body);
        } catch (IOException e) {
            return error(NullNode.getInstance(), RpcException.PARSE_ERROR, "parse error", null);
        }
        if (req == null || req.isMissingNode()) return error(NullNode.getInstance(), RpcException.PARSE_ERROR, "parse error", null);
        if (!req.isArray()) return dispatch(req, lookup);
        if (req.isEmpty()) return error(NullNode.getInstance(), RpcException.INVALID_REQUEST, "empty batch", null);
        if (req.size() > maxBatchSize) {
            return error(NullNode.getInstance(), RpcException.INVALID_REQUEST, "batch too large (max " + maxBatchSize + ")", null);
        }
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        long bytes = 0;
        for (JsonNode r : req) {
            // As geth: once the answers pass the batch response limit, the remaining requests get an error instead.
            JsonNode resp = bytes > MAX_BATCH_RESPONSE_BYTES
                    ? error(idOf(r), RESPONSE_TOO_LARGE, "batch response too large (max " + (MAX_BATCH_RESPONSE_BYTES >> 20) + " MiB)", null)
                    : dispatch(r, lookup);
            if (resp == null) continue;
            bytes += approximateSize(resp);
            out.add(resp);
        }
        return out.isEmpty() ? null : out;
    }

    /** The shared method table's entry for {@code name}, or null. */
    RpcMethod method(String name) {
        return methods.get(name);
    }

    private JsonNode dispatch(JsonNode req, Function<String, RpcMethod> lookup) {
        if (!req.isObject() || !req.path("method").isTextual()
                || (req.has("jsonrpc") && !"2.0".equals(req.get("jsonrpc").asText()))) {
            return error(idOf(req), RpcException.INVALID_REQUEST, "invalid request", null);
        }
        boolean notification = !req.has("id");
        JsonNode id = idOf(req);
        JsonNode params = req.path("params");
        if (params.isMissingNode() || params.isNull()) params = JsonNodeFactory.instance.arrayNode();
        if (!params.isArray()) return error(id, RpcException.INVALID_PARAMS, "invalid params: expected an array", null);
        RpcMethod m = lookup.apply(req.get("method").asText());
        JsonNode response;
        if (m == null) {
            response = error(id, RpcException.METHOD_NOT_FOUND, "the method " + req.get("method").asText() + " does not exist/is not available", null);
        } else {
            try {
                Object result = m.call(params);
                ObjectNode ok = JsonNodeFactory.instance.objectNode();
                ok.put("jsonrpc", "2.0");
                ok.set("id", id);
                ok.set("result", mapper.valueToTree(result));
                response = ok;
            } catch (RpcException e) {
                response = error(id, e.code(), e.getMessage(), e.data());
            } catch (RuntimeException | StackOverflowError e) {
                // A bug of ours, not the caller's: never show its message (it describes our internals), log it.
                logInternal(req.get("method").asText(), e);
                response = error(id, RpcException.INTERNAL_ERROR, "internal error", null);
            }
        }
        return notification ? null : response;
    }

    /** Logs an internal error with its stack the first time it is seen at that place; repeats cost one debug line. */
    private void logInternal(String method, Throwable e) {
        StackTraceElement[] trace = e.getStackTrace();
        String where = e.getClass().getName() + "@" + (trace.length > 0 ? trace[0] : "?");
        boolean first;
        synchronized (loggedFailures) {
            first = loggedFailures.size() < 1000 && loggedFailures.add(where);
        }
        if (first) LOG.log(System.Logger.Level.ERROR, "rpc method " + method + " failed (logged once per place)", e);
        else LOG.log(System.Logger.Level.DEBUG, () -> "rpc method " + method + " failed again: " + where);
    }

    /** About the serialized size of an answer: the text of its strings (hex data dominates) plus a little per node. */
    private static long approximateSize(JsonNode node) {
        long size = 0;
        java.util.ArrayDeque<JsonNode> todo = new java.util.ArrayDeque<>();
        todo.push(node);
        while (!todo.isEmpty()) {
            JsonNode n = todo.pop();
            size += 8;
            if (n.isTextual()) size += n.textValue().length();
            else if (n.isContainerNode()) n.forEach(todo::push); // an object iterates its values
        }
        return size;
    }

    private static JsonNode idOf(JsonNode req) {
        JsonNode id = req.isObject() ? req.get("id") : null;
        return id == null ? NullNode.getInstance() : id;
    }

    ObjectNode error(JsonNode id, int code, String message, Object data) {
        ObjectNode err = JsonNodeFactory.instance.objectNode();
        err.put("code", code);
        err.put("message", message);
        if (data != null) err.set("data", mapper.valueToTree(data));
        ObjectNode resp = JsonNodeFactory.instance.objectNode();
        resp.put("jsonrpc", "2.0");
        resp.set("id", id);
        resp.set("error", err);
        return resp;
    }
}
