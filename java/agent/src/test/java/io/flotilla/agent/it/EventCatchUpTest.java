package io.flotilla.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.flotilla.agent.reconcile.EventWatcher;
import io.flotilla.agent.state.AgentStateStore;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.ManagerEvents.ManagerEvent;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * An agent that was away for thousands of blocks catches up through a provider that, like public ones, rejects
 * eth_getLogs over more than 1,000 blocks: it reads in bounded ranges from the block it stored, sees every event, and
 * a restarted agent goes on from the stored block, neither from 0 nor from the head.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EventCatchUpTest {

    private static final long PROVIDER_MAX_RANGE = 1_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestNetwork network;
    private HttpServer provider;
    private final AtomicLong widestRange = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();

    @BeforeAll
    void start() throws Exception {
        network = TestNetwork.start();
        // A strict provider in front of the Hardhat node (which accepts any range).
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        provider.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            JsonNode request = JSON.readTree(body);
            byte[] answer;
            String refusal = refusal(request);
            if (refusal != null) {
                rejected.incrementAndGet();
                ObjectNode error = JSON.createObjectNode().put("jsonrpc", "2.0");
                error.set("id", request.get("id"));
                error.putObject("error").put("code", -32005).put("message", refusal);
                answer = JSON.writeValueAsBytes(error);
            } else {
                try {
                    answer = http.send(HttpRequest.newBuilder(URI.create(network.rpcUrl)).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray()).body();
                } catch (InterruptedException e) {
                    throw new java.io.IOException(e);
                }
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        provider.start();
    }

    private String refusal(JsonNode request) {
        if (!"eth_getLogs".equals(request.path("method").asText())) {
            return null;
        }
        JsonNode filter = request.path("params").path(0);
        String from = filter.path("fromBlock").asText("");
        String to = filter.path("toBlock").asText("");
        if (!from.startsWith("0x") || !to.startsWith("0x")) {
            return "query must name its block range (got " + from + ".." + to + ")";
        }
        long range = new BigInteger(to.substring(2), 16).subtract(new BigInteger(from.substring(2), 16)).longValueExact() + 1;
        widestRange.accumulateAndGet(range, Math::max);
        return range > PROVIDER_MAX_RANGE ? "query exceeds max block range " + PROVIDER_MAX_RANGE : null;
    }

    @AfterAll
    void stop() {
        if (provider != null) {
            provider.stop(0);
        }
        if (network != null) {
            network.close();
        }
    }

    private void mine(long blocks) throws Exception {
        HttpService hardhat = new HttpService(network.rpcUrl);
        var answer = new org.web3j.protocol.core.Request<>("hardhat_mine", List.of("0x" + Long.toHexString(blocks)), hardhat,
                org.web3j.protocol.core.methods.response.VoidResponse.class).send();
        assertThat(answer.hasError()).as("hardhat_mine").isFalse();
    }

    @Test
    void anAgentAwayForThousandsOfBlocksCatchesUpInBoundedRangesAndRestartsFromTheStoredBlock() throws Exception {
        Path data = Files.createDirectories(network.work.resolve("catch-up"));
        AgentStateStore store = new AgentStateStore(data);
        Web3j strict = Web3j.build(new HttpService("http://127.0.0.1:" + provider.getAddress().getPort()));
        ManagerClient reader = new ManagerClient(strict, TestNetwork.account(9), network.book);
        EventWatcher watcher = new EventWatcher(strict, network.book, reader, store, 1_000);
        watcher.poll(); // first start: from the current block (the last deployment block may carry events)
        assertThat(watcher.lag()).isZero();
        long start = watcher.lastProcessedBlock();

        // While the agent is away: an event, 2,500 empty blocks, another event, 1,200 more blocks.
        ManagerClient publisher = network.client(TestNetwork.account(0));
        publisher.publishImage("away-1", "0x" + "11".repeat(32), "subnode");
        mine(2_500);
        publisher.publishImage("away-2", "0x" + "22".repeat(32), "subnode");
        mine(1_200);
        long head = network.web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
        assertThat(head - start).isGreaterThan(3_700);

        List<ManagerEvent> seen = new ArrayList<>();
        seen.addAll(watcher.poll());
        long afterFirst = watcher.lastProcessedBlock();
        assertThat(afterFirst - start).as("one poll reads at most 1,000 blocks").isEqualTo(1_000);
        assertThat(watcher.lag()).isPositive();
        // A restarted agent (a new watcher on the same data directory) goes on from the stored block.
        EventWatcher restarted = new EventWatcher(strict, network.book, reader, new AgentStateStore(data), 1_000);
        int polls = 0;
        do {
            seen.addAll(restarted.poll());
            polls++;
        } while (restarted.lag() > 0 && polls < 20);
        assertThat(restarted.lastProcessedBlock()).isGreaterThanOrEqualTo(head);
        assertThat(polls).as("(head - stored) / 1,000 polls, rounded up").isEqualTo((int) ((head - afterFirst + 999) / 1_000));
        assertThat(seen.stream().filter(e -> e.name().equals("ImageVersionPublished")).count()).isEqualTo(2);
        assertThat(rejected.get()).as("no request the provider rejects").isZero();
        assertThat(widestRange.get()).isLessThanOrEqualTo(PROVIDER_MAX_RANGE);
        assertThat(new AgentStateStore(data).loadLastProcessedBlock()).contains(restarted.lastProcessedBlock());
    }
}
