package io.flotilla.agent.config;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A missing or invalid setting stops the agent with one line that names it. */
class SettingsValidatorTest {

    @TempDir
    Path dir;

    private AgentSettings settings(String rpc, Path keystore, String ip, int basePort, Duration poll, int uidBase) throws Exception {
        Path book = Files.writeString(dir.resolve("book.json"), "{}");
        Path password = Files.writeString(dir.resolve("password"), "x");
        return new AgentSettings(rpc, book, keystore, password, ip, basePort, new AgentSettings.Capacity(0, 0, 0),
                new AgentSettings.Capacity(0, 0, 0), "unix:///var/run/docker.sock", dir, poll, Duration.ofSeconds(30),
                Duration.ofHours(1), Duration.ofMinutes(1), Duration.ofSeconds(30), uidBase, "flotilla");
    }

    private Path keystore() throws Exception {
        return Files.writeString(dir.resolve("key.json"), "{}");
    }

    @Test
    void validSettingsPass() throws Exception {
        assertThatCode(() -> SettingsValidator.validateAgent(settings("http://127.0.0.1:8545", keystore(), "127.0.0.10", 20000,
                Duration.ofMillis(500), 200_000))).doesNotThrowAnyException();
    }

    @Test
    void eachProblemIsNamedInOneLine() throws Exception {
        Path key = keystore();
        assertThatThrownBy(() -> SettingsValidator.validateAgent(settings("", key, "127.0.0.10", 20000, Duration.ofSeconds(1), 200_000)))
                .isInstanceOf(SettingsException.class).hasMessage("setting flotilla.agent.manager-rpc-url: missing");
        assertThatThrownBy(() -> SettingsValidator.validateAgent(settings("ftp://x", key, "127.0.0.10", 20000, Duration.ofSeconds(1), 200_000)))
                .hasMessage("setting flotilla.agent.manager-rpc-url: not an http(s) URL: ftp://x");
        assertThatThrownBy(() -> SettingsValidator.validateAgent(settings("http://h", dir.resolve("none.json"), "127.0.0.10", 20000,
                Duration.ofSeconds(1), 200_000))).hasMessageStartingWith("setting flotilla.agent.keystore: no readable file at ");
        assertThatThrownBy(() -> SettingsValidator.validateAgent(settings("http://h", key, "300.1.1.1", 20000, Duration.ofSeconds(1), 200_000)))
                .hasMessage("setting flotilla.agent.ip: not a usable IPv4 address: 300.1.1.1");
        assertThatThrownBy(() -> SettingsValidator.validateAgent(settings("http://h", key, "127.0.0.10", 64000, Duration.ofSeconds(1), 200_000)))
                .hasMessageStartingWith("setting flotilla.agent.base-port: ");
        assertThatThrownBy(() -> SettingsValidator.validateAgent(settings("http://h", key, "127.0.0.10", 20000, Duration.ZERO, 200_000)))
                .hasMessageStartingWith("setting flotilla.agent.poll-interval: ");
        assertThatThrownBy(() -> SettingsValidator.validateAgent(settings("http://h", key, "127.0.0.10", 20000, Duration.ofSeconds(1), 65_000)))
                .hasMessage("setting flotilla.agent.subnode-uid-base: must be between 100000 and 2147483519, got 65000");
        AgentSettings valid = settings("http://h", key, "127.0.0.10", 20000, Duration.ofSeconds(1), 200_000);
        AgentSettings badTable = new AgentSettings(valid.managerRpcUrl(), valid.addressBook(), valid.keystore(), valid.passwordFile(),
                valid.ip(), valid.basePort(), valid.capacity(), valid.reserve(), valid.dockerHost(), valid.dataDir(), valid.pollInterval(),
                valid.resyncInterval(), valid.volumeGracePeriod(), valid.restartMaxDelay(), valid.livenessThreshold(), 200_000, "x; flush ruleset");
        assertThatThrownBy(() -> SettingsValidator.validateAgent(badTable)).hasMessage(
                "setting flotilla.agent.firewall-table: must be \"off\" or an nft table name (a-z, 0-9, _; at most 31), got x; flush ruleset");
    }
}
