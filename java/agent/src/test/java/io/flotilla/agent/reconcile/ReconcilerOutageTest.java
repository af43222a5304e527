package io.flotilla.agent.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.config.AgentSettings;
import io.flotilla.agent.runtime.DockerContainerRuntime;
import io.flotilla.agent.status.AgentStatus;
import io.flotilla.manager.AddressBook;
import io.flotilla.manager.ManagerClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * When the manager RPC cannot be read, a pass changes nothing and the agent says it is degraded (the Docker side of
 * this rule is in AgentIntegrationTest, which needs a registered node).
 */
class ReconcilerOutageTest {

    @TempDir
    Path dir;

    private Reconciler reconciler(String rpcUrl, String dockerHost, AgentStatus status) throws Exception {
        Path key = Files.writeString(dir.resolve("key.json"), "{}");
        Path password = Files.writeString(dir.resolve("password"), "x");
        AgentSettings settings = new AgentSettings(rpcUrl, dir.resolve("book.json"), key, password, "127.0.0.9", 20000,
                new AgentSettings.Capacity(2000, 2048, 10), new AgentSettings.Capacity(0, 0, 0), dockerHost, dir.resolve("data"),
                Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofMinutes(1), Duration.ofSeconds(30),
                200_000, "off");
        String zero = "0x" + "00".repeat(20);
        AddressBook book = new AddressBook(31337, Map.of("ValidatorRegistry", zero, "NodeRegistry", zero, "ImageRegistry", zero,
                "SidechainManager", zero), Map.of(), "");
        ManagerClient client = new ManagerClient(Web3j.build(new HttpService(rpcUrl)), Credentials.create(Keys.createEcKeyPair()), book);
        return ReconcilerFactory.create(settings, client, new DockerContainerRuntime(dockerHost, Duration.ofSeconds(2)), status,
                new SimpleMeterRegistry(), Clock.systemUTC());
    }

    private static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void anUnreachableManagerLeavesEverythingAsItIs() throws Exception {
        AgentStatus status = new AgentStatus();
        Reconciler r = reconciler("http://127.0.0.1:" + closedPort(), "unix:///var/run/docker.sock", status);
        assertThat(r.reconcile()).isEmpty();
        assertThat(status.snapshot().health()).isEqualTo(AgentStatus.Health.DEGRADED);
        assertThat(status.snapshot().problems()).singleElement().asString().startsWith("manager RPC: ");
    }
}
