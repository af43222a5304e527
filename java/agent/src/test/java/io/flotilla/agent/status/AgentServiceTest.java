package io.flotilla.agent.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.agent.AgentApplication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.web3j.crypto.Keys;
import org.web3j.crypto.WalletUtils;

/**
 * The agent service as an operator runs it (the whole Spring context, its HTTP endpoints, the real Docker engine),
 * with its Ethereum endpoint down from the start: health must say DOWN with HTTP 503 and why, and the metrics
 * must show the failing task, the RPC errors and the event lag.
 */
@SpringBootTest(classes = AgentApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class AgentServiceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DIR;
    private static final int DEAD_PORT;

    static {
        try {
            DIR = Files.createTempDirectory("flotilla-agent-service-");
            try (ServerSocket socket = new ServerSocket(0)) {
                DEAD_PORT = socket.getLocalPort();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The keystore, its password and the agent's data leave with the test; best effort (the agent's context is still
     * up and may write while this runs, which must not fail the test).
     */
    @org.junit.jupiter.api.AfterAll
    static void removeDir() {
        try (var paths = Files.walk(DIR)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // left for the OS's temporary-file cleanup
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // as above
        }
    }

    @DynamicPropertySource
    static void settings(DynamicPropertyRegistry registry) throws Exception {
        String zero = "0x" + "00".repeat(19) + "01";
        Path book = Files.writeString(DIR.resolve("31337.json"), "{\"chainId\":31337,\"contracts\":{"
                + "\"ValidatorRegistry\":{\"address\":\"" + zero + "\"},\"NodeRegistry\":{\"address\":\"" + zero + "\"},"
                + "\"ImageRegistry\":{\"address\":\"" + zero + "\"},\"SidechainManager\":{\"address\":\"" + zero + "\"}}}");
        Path password = Files.writeString(DIR.resolve("password"), "secret");
        String keystore = WalletUtils.generateWalletFile("secret", Keys.createEcKeyPair(), DIR.toFile(), false);
        registry.add("flotilla.agent.manager-rpc-url", () -> "http://127.0.0.1:" + DEAD_PORT);
        registry.add("flotilla.agent.address-book", book::toString);
        registry.add("flotilla.agent.keystore", () -> DIR.resolve(keystore).toString());
        registry.add("flotilla.agent.password-file", password::toString);
        registry.add("flotilla.agent.ip", () -> "127.0.0.59");
        registry.add("flotilla.agent.data-dir", () -> DIR.resolve("data").toString());
        registry.add("flotilla.agent.capacity.cpu-millicores", () -> "2000");
        registry.add("flotilla.agent.capacity.memory-mib", () -> "2048");
        registry.add("flotilla.agent.capacity.disk-gib", () -> "10");
    }

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthIsDownWithHttp503AndNamesTheUnreachableEthereumEndpoint() throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        HttpResponse<String> health = get("/actuator/health");
        while (health.statusCode() != 503 && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            health = get("/actuator/health");
        }
        assertThat(health.statusCode()).as(health.body()).isEqualTo(503);
        JsonNode body = JSON.readTree(health.body());
        assertThat(body.path("status").asText()).isEqualTo("DOWN");
        assertThat(body.toString()).contains("manager RPC").contains("127.0.0.1:" + DEAD_PORT);
    }

    @Test
    void metricsShowTheFailingTaskTheRpcErrorsAndTheEventLagAndSurviveAGarbageCollection() throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        String metrics = get("/actuator/prometheus").body();
        while (!metrics.contains("flotilla_task_failures_total{task=\"events\"}") && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            metrics = get("/actuator/prometheus").body();
        }
        assertThat(metrics).contains("flotilla_task_failures_total{task=\"events\"}")
                .contains("flotilla_rpc_errors_total{endpoint=\"manager\"}")
                .contains("flotilla_events_lag_blocks");
        System.gc();
        Thread.sleep(100);
        System.gc();
        String after = get("/actuator/prometheus").body();
        assertThat(after.lines().filter(l -> l.startsWith("flotilla_")).toList())
                .isNotEmpty()
                .noneMatch(l -> l.endsWith(" NaN"));
    }
}
