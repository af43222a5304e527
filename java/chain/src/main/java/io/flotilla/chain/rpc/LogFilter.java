package io.flotilla.chain.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.state.Log;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.util.ArrayList;
import java.util.List;

/**
 * The address and topics part of an eth_getLogs filter (also the filter of a "logs" subscription).
 *
 * @param addresses any of these emitters; empty = any
 * @param topics per position: empty = wildcard, else any of these values
 */
record LogFilter(List<Address> addresses, List<List<Word>> topics) {
    static final LogFilter ANY = new LogFilter(List.of(), List.of());

    LogFilter {
        addresses = List.copyOf(addresses);
        topics = topics.stream().map(List::copyOf).toList();
    }

    /** Reads {@code address} (one or an array) and {@code topics} (positions of null, one or an array of hashes). */
    static LogFilter parse(JsonNode filter) throws RpcException {
        if (filter == null || filter.isNull()) return ANY;
        if (!filter.isObject()) throw RpcException.invalidParams("filter: expected an object");
        List<Address> addresses = new ArrayList<>();
        JsonNode a = filter.get("address");
        if (a != null && !a.isNull()) {
            if (a.isArray()) for (JsonNode x : a) addresses.add(Json.parseAddress(x, "address"));
            else addresses.add(Json.parseAddress(a, "address"));
        }
        List<List<Word>> topics = new ArrayList<>();
        JsonNode t = filter.get("topics");
        if (t != null && !t.isNull()) {
            if (!t.isArray()) throw RpcException.invalidParams("topics: expected an array");
            if (t.size() > 4) throw RpcException.invalidParams("topics: at most 4 positions");
            for (JsonNode pos : t) {
                List<Word> any = new ArrayList<>();
                if (pos.isArray()) for (JsonNode x : pos) any.add(Word.fromBytes(Json.parseHash(x, "topic")));
                else if (!pos.isNull()) any.add(Word.fromBytes(Json.parseHash(pos, "topic")));
                topics.add(any);
            }
        }
        return new LogFilter(addresses, topics);
    }

    boolean matches(Log log) {
        if (!addresses.isEmpty() && !addresses.contains(log.address())) return false;
        if (topics.size() > log.topics().size()) return false;
        for (int i = 0; i < topics.size(); i++) {
            if (!topics.get(i).isEmpty() && !topics.get(i).contains(log.topics().get(i))) return false;
        }
        return true;
    }

    /** Cheap pre-check so blocks without a possible match are skipped without reading receipts. */
    boolean bloomMayMatch(byte[] bloom) {
        if (!addresses.isEmpty() && addresses.stream().noneMatch(a -> inBloom(bloom, a.toArray()))) return false;
        for (List<Word> any : topics) {
            if (!any.isEmpty() && any.stream().noneMatch(w -> inBloom(bloom, w.toBytes()))) return false;
        }
        return true;
    }

    /** Whether all three bloom bits of {@code item} (an address or a topic) are set: the M3:2048 definition. */
    private static boolean inBloom(byte[] bloom, byte[] item) {
        byte[] h = Keccak.hash(item);
        for (int i = 0; i < 6; i += 2) {
            int bit = ((h[i] & 0xFF) << 8 | (h[i + 1] & 0xFF)) & 2047;
            if ((bloom[255 - bit / 8] & (1 << (bit % 8))) == 0) return false;
        }
        return true;
    }
}
