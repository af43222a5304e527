package io.flotilla.agent.liveness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Asks a subnode's JSON-RPC how its consensus is doing: {@code flotilla_health} when the subnode has it, otherwise
 * the latest block ({@code eth_getBlockByNumber}). Every answer is bounded (2 s timeout, 64 KiB body); a peer's
 * answer is only ever an input to a judgement that also needs its height to move, so a lying peer gains nothing
 * but its own report.
 */
public final class SubnodeRpc {

    /** An idle chain still commits a heartbeat block this often (docs/chain.md); a head older than this plus slack is stale. */
    public static final Duration HEARTBEAT = Duration.ofSeconds(30);
    static final Duration STALE_AFTER = HEARTBEAT.plusSeconds(15);
    private static final int MAX_BODY = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param head latest committed height
     * @param headTime timestamp of that block
     * @param finalizing the subnode's own word (flotilla_health), or derived from the head's age for older subnodes
     * @param peersConnected the subnode's connected peers, -1 when unknown
     * @param image the image id the subnode says it was started with ({@code flotilla_health}'s {@code image}), null
     *     when it does not say (older subnodes)
     */
    public record Health(long head, Instant headTime, boolean finalizing, int peersConnected, String image) {

        public Health(long head, Instant headTime, boolean finalizing, int peersConnected) {
            this(head, headTime, finalizing, peersConnected, null);
        }
    }

    private final HttpClient http;
    private final Duration timeout;

    public SubnodeRpc(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    public SubnodeRpc() {
        this(Duration.ofSeconds(2));
    }

    /** The subnode's health, empty when it does not answer JSON-RPC (down, wedged listener, or garbage). */
    public Optional<Health> health(String ip, int rpcPort, Instant now) {
        URI uri = URI.create("http://" + ip + ":" + rpcPort + "/");
        try {
            JsonNode answer = call(uri, "flotilla_health", "[]");
            if (answer != null && answer.has("result") && answer.get("result").isObject()) {
                JsonNode r = answer.get("result");
                long head = number(r.get("head"));
                Instant headTime = Instant.ofEpochSecond(number(r.get("headTimestamp")));
                boolean finalizing = r.path("finalizing").asBoolean(false);
                String image = r.path("image").isTextual() && r.get("image").asText().matches("sha256:[0-9a-f]{64}") ? r.get("image").asText() : null;
                return Optional.of(new Health(head, headTime, finalizing, r.path("peersConnected").asInt(-1), image));
            }
            JsonNode block = call(uri, "eth_getBlockByNumber", "[\"latest\",false]");
            if (block == null || !block.path("result").isObject()) {
                return Optional.empty();
            }
            long head = number(block.get("result").get("number"));
            Instant headTime = Instant.ofEpochSecond(number(block.get("result").get("timestamp")));
            return Optional.of(new Health(head, headTime, headTime.plus(STALE_AFTER).isAfter(now), -1));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private JsonNode call(URI uri, String method, String params) throws IOException, InterruptedException {
        String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + params + "}";
        HttpResponse<java.io.InputStream> response = http.send(HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (java.io.InputStream in = response.body()) {
            byte[] bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                throw new IOException("answer longer than " + MAX_BODY + " bytes");
            }
            return JSON.readTree(bytes);
        }
    }

    /** A JSON-RPC quantity ("0x1a") or a plain number. */
    static long number(JsonNode n) {
        if (n == null || n.isNull()) {
            throw new IllegalArgumentException("missing number");
        }
        if (n.isNumber()) {
            return n.asLong();
        }
        String s = n.asText();
        return s.startsWith("0x") ? Long.parseLong(s.substring(2), 16) : Long.parseLong(s);
    }
}
