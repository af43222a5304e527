package io.flotilla.agent.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.runtime.ResourceLimits;
import io.flotilla.manager.AddressBook;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Everything the agent names, labels and selects in Docker carries its network's identity. */
class NamesTest {

    private static final String MANAGER = "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9";

    private static AddressBook book(long chainId, String manager, String blockHash) {
        String other = "0x" + "11".repeat(20);
        return new AddressBook(chainId, Map.of("ValidatorRegistry", other, "NodeRegistry", other, "ImageRegistry", other,
                "SidechainManager", manager), Map.of(), blockHash);
    }

    @Test
    void theNetworkIdentityHashesChainIdManagerAndDeploymentBlockAsTheLauncherDoes() {
        // The same vector as ./flotilla's network_id (node's crypto): sha256("31337:0xdc64...c9:0xabcdef")[0:8].
        assertThat(book(31337, MANAGER, "0xABCDEF").networkId()).isEqualTo("a9a4c2a7");
        assertThat(book(31337, MANAGER.toLowerCase(), "0xabcdef").networkId()).as("case does not matter").isEqualTo("a9a4c2a7");
        assertThat(book(1, MANAGER, "0xabcdef").networkId()).as("another Ethereum chain").isNotEqualTo("a9a4c2a7");
        assertThat(book(31337, "0x" + "22".repeat(20), "0xabcdef").networkId()).as("another manager").isNotEqualTo("a9a4c2a7");
        assertThat(book(31337, MANAGER, "0xabcdee").networkId()).as("another deployment at the same address").isNotEqualTo("a9a4c2a7");
    }

    @Test
    void theAddressBookReadsTheDeploymentBlock(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("31337.json"), """
                {"chainId": 31337, "deployment": {"blockNumber": 20, "blockHash": "0xABCDEF"}, "contracts": {
                  "ValidatorRegistry": {"address": "0x1111111111111111111111111111111111111111"},
                  "NodeRegistry": {"address": "0x1111111111111111111111111111111111111111"},
                  "ImageRegistry": {"address": "0x1111111111111111111111111111111111111111"},
                  "SidechainManager": {"address": "%s"}}}
                """.formatted(MANAGER));
        assertThat(AddressBook.read(file).networkId()).isEqualTo("a9a4c2a7");
    }

    @Test
    void namesLabelsAndSelectorsCarryTheNetwork() {
        DesiredSubnode s = new DesiredSubnode("a9a4c2a7", 3, "alpha", 7, 0, "1.0.0", "sha256:00", new ResourceLimits(1000, 100_000, 64, 1L << 28, 256),
                "{}", "c", "p");
        assertThat(s.containerName()).isEqualTo("flotilla-a9a4c2a7-alpha-7");
        assertThat(s.volumeName()).isEqualTo("flotilla-a9a4c2a7-alpha-7-data");
        assertThat(Names.containerLabels(s)).containsEntry(Names.LABEL_NETWORK, "a9a4c2a7").containsEntry(Names.LABEL_NODE, "7");
        assertThat(Names.volumeLabels(s)).containsEntry(Names.LABEL_NETWORK, "a9a4c2a7");
        assertThat(Names.containerLabels(s)).containsAllEntriesOf(Names.nodeSelector("a9a4c2a7", 7));
        assertThat(Names.volumeLabels(s)).containsAllEntriesOf(Names.nodeSelector("a9a4c2a7", 7));
        assertThat(Names.containerLabels(s)).doesNotContainEntry(Names.LABEL_NETWORK, "b9a4c2a7");
        assertThat(Names.nodeSelector("b9a4c2a7", 7)).isNotEqualTo(Names.nodeSelector("a9a4c2a7", 7));
        assertThat(Names.networkSelector("a9a4c2a7")).isEqualTo(Map.of(Names.LABEL_MANAGED, "true", Names.LABEL_NETWORK, "a9a4c2a7"));
    }
}
