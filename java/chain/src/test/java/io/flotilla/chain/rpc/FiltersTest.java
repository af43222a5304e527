package io.flotilla.chain.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Polling filters without a chain: a head counter, a fake clock and a log query that records its ranges. */
class FiltersTest {
    private final AtomicLong head = new AtomicLong(10);
    private final AtomicLong clock = new AtomicLong();
    private final Filters filters = new Filters(head::get, clock::get, 3);
    private final List<String> queried = new ArrayList<>();
    private final Filters.LogQuery query = (from, to, f) -> {
        queried.add(from + ".." + to);
        return List.of(from + ".." + to);
    };

    private List<Object> changes(String id) throws RpcException {
        return filters.changes(TextNode.valueOf(id), query, n -> "hash" + n);
    }

    private static JsonNode json(String s) throws Exception {
        return new ObjectMapper().readTree(s);
    }

    @Test
    void blockFiltersReportEachNewBlockOnce() throws Exception {
        String id = filters.newBlockFilter();
        assertTrue(id.matches("0x[1-9a-f][0-9a-f]{0,31}"), () -> id + ": a quantity, as geth makes ids");
        assertEquals(List.of(), changes(id), "nothing committed since creation");
        head.set(12);
        assertEquals(List.of("hash11", "hash12"), changes(id));
        assertEquals(List.of(), changes(id));
        head.set(13);
        assertEquals(List.of("hash13"), changes(id));
    }

    @Test
    void logFiltersScanOnlyNewBlocksUpToTheirToBlock() throws Exception {
        String open = filters.newLogFilter(json("{\"address\":\"0x00000000000000000000000000000000000000aa\"}"), Long.MAX_VALUE);
        String bounded = filters.newLogFilter(json("{}"), 14);
        head.set(20);
        assertEquals(List.of("11..20"), changes(open));
        assertEquals(List.of("11..14"), changes(bounded));
        head.set(25);
        assertEquals(List.of("21..25"), changes(open));
        assertEquals(List.of(), changes(bounded), "past its toBlock");
        assertEquals(List.of("11..20", "11..14", "21..25"), queried);
        // A filter polled rarely gets the most recent blocks only.
        head.set(25 + Filters.MAX_POLL_BLOCKS + 5);
        assertEquals(List.of((head.get() - Filters.MAX_POLL_BLOCKS + 1) + ".." + head.get()), changes(open));
        assertEquals("{\"address\":\"0x00000000000000000000000000000000000000aa\"}", filters.criteria(TextNode.valueOf(open)).toString());
    }

    @Test
    void idsSurviveWeb3jsRoundTripThroughANumber() throws Exception {
        for (int i = 0; i < 200; i++) { // some ids have high nibbles of zero: they must not be printed padded
            String id = filters.newBlockFilter();
            String web3j = org.web3j.utils.Numeric.toHexStringWithPrefixSafe(new java.math.BigInteger(id.substring(2), 16));
            assertEquals(id, web3j);
            assertEquals(List.of(), changes("0x000" + id.substring(2).toUpperCase()), "padded or upper-case ids are found too");
            assertTrue(filters.uninstall(TextNode.valueOf(id)));
        }
        assertEquals("0x0", Json.normalizeId("0x0000"));
        assertEquals("0xab", Json.normalizeId("0X00AB"));
    }

    @Test
    void badCriteriaUnknownIdsCapAndIdleExpiry() throws Exception {
        assertEquals(RpcException.INVALID_PARAMS,
                assertThrows(RpcException.class, () -> filters.newLogFilter(json("{\"topics\":\"0x1\"}"), Long.MAX_VALUE)).code());
        RpcException unknown = assertThrows(RpcException.class, () -> changes("0x1234"));
        assertEquals(RpcException.SERVER_ERROR, unknown.code());
        assertEquals("filter not found", unknown.getMessage());
        String block = filters.newBlockFilter();
        assertEquals("filter not found", assertThrows(RpcException.class, () -> filters.criteria(TextNode.valueOf(block))).getMessage(),
                "eth_getFilterLogs is for log filters");

        String a = filters.newBlockFilter();
        filters.newBlockFilter();
        assertEquals(Subscriptions.LIMIT_EXCEEDED, assertThrows(RpcException.class, filters::newBlockFilter).code(), "cap of 3");
        assertTrue(filters.uninstall(TextNode.valueOf(a)));
        assertFalse(filters.uninstall(TextNode.valueOf(a)));
        filters.newBlockFilter();

        // Polling keeps a filter alive; five idle minutes remove it.
        clock.addAndGet(Filters.IDLE_TIMEOUT_NANOS - 1);
        changes(block);
        clock.addAndGet(2);
        filters.newBlockFilter(); // expires the idle ones first
        assertEquals(2, filters.size(), "the polled filter and the new one remain");
        clock.addAndGet(Filters.IDLE_TIMEOUT_NANOS + 1);
        assertThrows(RpcException.class, () -> changes(block));
    }
}
