package io.flotilla.chain.rpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.chain.execution.ExecutedBlock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The eth_subscribe subscriptions of one WebSocket connection ("newHeads" and "logs") and the notifications a
 * committed block produces for them. Not thread-safe: the owning connection guards it with its own lock, which
 * also orders an eth_subscribe answer before the subscription's first notification ({@link #activate}).
 */
final class Subscriptions {
    /** EIP-1474's "limit exceeded". */
    static final int LIMIT_EXCEEDED = -32005;

    enum Kind { NEW_HEADS, LOGS }

    private static final class Subscription {
        final Kind kind;
        final LogFilter filter;
        boolean active;

        Subscription(Kind kind, LogFilter filter) {
            this.kind = kind;
            this.filter = filter;
        }
    }

    private final int max;
    private final Map<String, Subscription> byId = new LinkedHashMap<>();

    Subscriptions(int max) {
        this.max = max;
    }

    /**
     * Registers a subscription from eth_subscribe's params and returns its id; it receives nothing until
     * {@link #activate activated} (after the answer carrying the id has been queued).
     */
    String subscribe(JsonNode params) throws RpcException {
        JsonNode type = Json.required(params, 0, "subscription type");
        if (!type.isTextual()) throw RpcException.invalidParams("subscription type: expected a string");
        Subscription s = switch (type.asText()) {
            case "newHeads" -> new Subscription(Kind.NEW_HEADS, LogFilter.ANY);
            case "logs" -> new Subscription(Kind.LOGS, LogFilter.parse(Json.param(params, 1)));
            default -> throw RpcException.invalidParams("unsupported subscription type " + type.asText() + " (supported: newHeads, logs)");
        };
        if (byId.size() >= max) throw new RpcException(LIMIT_EXCEEDED, "too many subscriptions on this connection (max " + max + ")");
        String id = Json.randomId();
        byId.put(id, s);
        return id;
    }

    void activate(String id) {
        Subscription s = byId.get(id);
        if (s != null) s.active = true;
    }

    /** eth_unsubscribe: true when the id was a subscription of this connection. */
    boolean unsubscribe(JsonNode params) throws RpcException {
        JsonNode id = Json.required(params, 0, "subscription id");
        if (!id.isTextual()) throw RpcException.invalidParams("subscription id: expected a string");
        return byId.remove(Json.normalizeId(id.asText())) != null;
    }

    int size() {
        return byId.size();
    }

    boolean isEmpty() {
        return byId.isEmpty();
    }

    /** The eth_subscription messages {@code block} produces for the active subscriptions, in order. */
    List<String> notifications(BlockNotice block) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Subscription> e : byId.entrySet()) {
            Subscription s = e.getValue();
            if (!s.active) continue;
            if (s.kind == Kind.NEW_HEADS) {
                out.add(notification(e.getKey(), block.headerJson()));
            } else {
                for (BlockNotice.RenderedLog log : block.logs()) {
                    if (s.filter.matches(log.log())) out.add(notification(e.getKey(), log.json()));
                }
            }
        }
        return out;
    }

    private static String notification(String id, String resultJson) {
        return "{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscription\",\"params\":{\"subscription\":\"" + id + "\",\"result\":" + resultJson + "}}";
    }

    /** A committed block, rendered to JSON at most once however many connections subscribe. Used by one thread. */
    static final class BlockNotice {
        record RenderedLog(io.flotilla.evm.state.Log log, String json) {
        }

        private final ExecutedBlock block;
        private final EthApi api;
        private final ObjectMapper mapper;
        private String header;
        private List<RenderedLog> logs;

        BlockNotice(ExecutedBlock block, EthApi api, ObjectMapper mapper) {
            this.block = block;
            this.api = api;
            this.mapper = mapper;
        }

        String headerJson() {
            if (header == null) header = write(api.headerJson(block.block()));
            return header;
        }

        List<RenderedLog> logs() {
            if (logs == null) {
                logs = new ArrayList<>();
                for (EthApi.BlockLog l : EthApi.blockLogs(block.block(), block.receipts())) logs.add(new RenderedLog(l.log(), write(l.json())));
            }
            return logs;
        }

        private String write(Object value) {
            try {
                return mapper.writeValueAsString(value);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot render a notification", e);
            }
        }
    }
}
