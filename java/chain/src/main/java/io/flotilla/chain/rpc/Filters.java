package io.flotilla.chain.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Polling filters: eth_newFilter, eth_newBlockFilter, eth_getFilterChanges, eth_getFilterLogs, eth_uninstallFilter.
 * ethers' JsonRpcProvider watches contract events this way over HTTP, web3j's flowables too. A filter reports what
 * was committed after it was created (or after its last poll); filters not polled for five minutes are dropped, as
 * geth does. Pending-transaction filters are not offered.
 */
final class Filters {
    static final long IDLE_TIMEOUT_NANOS = 5L * 60 * 1_000_000_000L;
    /** Blocks scanned by one poll at most: a filter polled rarely gets the most recent ones. */
    static final long MAX_POLL_BLOCKS = 10_000;

    /** Logs of blocks {@code from..to} matching a filter, as eth_getLogs renders them. */
    @FunctionalInterface
    interface LogQuery {
        List<Object> logs(long from, long to, LogFilter filter) throws RpcException;
    }

    private static final class Filter {
        final LogFilter logs;   // null for a block filter
        final JsonNode criteria; // the eth_newFilter object, for eth_getFilterLogs
        final long toBlock;     // last block of interest; Long.MAX_VALUE when open-ended
        long next;              // first block not reported yet
        volatile long lastPoll;

        Filter(LogFilter logs, JsonNode criteria, long toBlock, long next, long now) {
            this.logs = logs;
            this.criteria = criteria;
            this.toBlock = toBlock;
            this.next = next;
            this.lastPoll = now;
        }
    }

    private final Map<String, Filter> filters = new ConcurrentHashMap<>();
    private final LongSupplier head;
    private final LongSupplier nanoClock;
    private final int maxFilters;

    Filters(LongSupplier head, LongSupplier nanoClock, int maxFilters) {
        this.head = head;
        this.nanoClock = nanoClock;
        this.maxFilters = maxFilters;
    }

    /** eth_newFilter: address/topics as eth_getLogs; a numeric toBlock ends it, fromBlock only matters to eth_getFilterLogs. */
    String newLogFilter(JsonNode criteria, long toBlock) throws RpcException {
        return add(new Filter(LogFilter.parse(criteria), criteria.deepCopy(), toBlock, head.getAsLong() + 1, nanoClock.getAsLong()));
    }

    String newBlockFilter() throws RpcException {
        return add(new Filter(null, null, Long.MAX_VALUE, head.getAsLong() + 1, nanoClock.getAsLong()));
    }

    private String add(Filter f) throws RpcException {
        expire();
        if (filters.size() >= maxFilters) throw new RpcException(Subscriptions.LIMIT_EXCEEDED, "too many filters (max " + maxFilters + ")");
        String id = Json.randomId();
        filters.put(id, f);
        return id;
    }

    /** eth_getFilterChanges: block hashes or logs committed since the last poll. */
    List<Object> changes(JsonNode id, LogQuery query, java.util.function.LongFunction<Object> blockHash) throws RpcException {
        Filter f = find(id);
        synchronized (f) {
            f.lastPoll = nanoClock.getAsLong();
            long h = head.getAsLong();
            long to = Math.min(h, f.toBlock);
            long from = Math.max(f.next, to - MAX_POLL_BLOCKS + 1);
            if (from > to) return List.of();
            List<Object> out;
            if (f.logs == null) {
                out = new ArrayList<>();
                for (long n = from; n <= to; n++) out.add(blockHash.apply(n));
            } else {
                out = query.logs(from, to, f.logs);
            }
            f.next = to + 1;
            return out;
        }
    }

    /** The eth_newFilter criteria of a log filter, for eth_getFilterLogs. */
    JsonNode criteria(JsonNode id) throws RpcException {
        Filter f = find(id);
        if (f.logs == null) throw new RpcException(RpcException.SERVER_ERROR, "filter not found");
        f.lastPoll = nanoClock.getAsLong();
        return f.criteria;
    }

    boolean uninstall(JsonNode id) throws RpcException {
        if (!id.isTextual()) throw RpcException.invalidParams("filter id: expected a string");
        return filters.remove(Json.normalizeId(id.asText())) != null;
    }

    int size() {
        return filters.size();
    }

    private Filter find(JsonNode id) throws RpcException {
        if (!id.isTextual()) throw RpcException.invalidParams("filter id: expected a string");
        expire();
        Filter f = filters.get(Json.normalizeId(id.asText()));
        if (f == null) throw new RpcException(RpcException.SERVER_ERROR, "filter not found");
        return f;
    }

    private void expire() {
        long now = nanoClock.getAsLong();
        filters.values().removeIf(f -> now - f.lastPoll > IDLE_TIMEOUT_NANOS);
    }
}
