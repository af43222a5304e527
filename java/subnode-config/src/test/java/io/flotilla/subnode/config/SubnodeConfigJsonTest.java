package io.flotilla.subnode.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent writes config.json with this schema and the chain reads it back: the two must agree on every field. */
class SubnodeConfigJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OWNER = "0x00000000000000000000000000000000000000aa";

    static SubnodeConfig sample() {
        List<Member> members = List.of(
                new Member(1, "0x1111111111111111111111111111111111111111", "127.0.10.1", PortLayout.of(21000, 3)),
                new Member(2, "0x2222222222222222222222222222222222222222", "127.0.10.2", PortLayout.of(21000, 0)));
        return new SubnodeConfig(7, "alpha", SubnodeConfig.EVM_CHAIN_ID_BASE + 7, 1, 3, "127.0.10.1", PortLayout.of(21000, 3), members,
                new Consensus("bft", 1000, 30_000),
                new Genesis(OWNER, Map.of(OWNER, new BigInteger("1000000000000000000000000")), 30_000_000, BigInteger.ONE, 4096, 1 << 20),
                Path.of("/config/consensus-key.json"), Path.of("/config/consensus-key.password"), Path.of("/data"),
                new Image("1.2.0", "sha256:" + "0".repeat(64)), new Tracing(false, 2, 5000, 16));
    }

    @Test
    void whatTheAgentWritesTheChainReadsBackUnchanged() {
        SubnodeConfig config = sample();
        String json = SubnodeConfigJson.write(config);
        assertEquals(config, SubnodeConfigJson.read(json));
        assertEquals(json, SubnodeConfigJson.write(SubnodeConfigJson.read(json)), "the written form is canonical");
        assertTrue(json.endsWith("}\n"));
    }

    @Test
    void theWrittenFormHasSortedKeysSoEqualConfigsAreEqualBytes() throws Exception {
        String json = SubnodeConfigJson.write(sample());
        List<String> keys = new java.util.ArrayList<>();
        JSON.readTree(json).fieldNames().forEachRemaining(keys::add);
        assertEquals(keys.stream().sorted().toList(), keys);
        assertTrue(json.indexOf("\"bindIp\"") < json.indexOf("\"chainId\""));
    }

    @Test
    void theRemovedFieldsAreNotWrittenAndAreIgnoredWhenAnOlderAgentWritesThem() throws Exception {
        String json = SubnodeConfigJson.write(sample());
        assertFalse(json.contains("catchUp\" :") && JSON.readTree(json).has("catchUp"));
        assertFalse(JSON.readTree(json).has("syncPeers"));
        assertFalse(JSON.readTree(json).has("rpcPort"));
        ObjectNode old = (ObjectNode) JSON.readTree(json);
        old.put("catchUp", true).put("rpcPort", 1).putArray("syncPeers");
        ((ObjectNode) old.get("members").get(0)).put("publicKey", "0x" + "ab".repeat(64));
        assertEquals(sample(), SubnodeConfigJson.read(old.toString()));
    }

    @Test
    void optionalFieldsTakeTheirDefaults() throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(SubnodeConfigJson.write(sample()));
        root.remove("tracing");
        root.remove("image");
        ObjectNode genesis = (ObjectNode) root.get("genesis");
        genesis.remove(List.of("minGasPriceWei", "maxTxBytes", "maxBlockBytes"));
        SubnodeConfig c = SubnodeConfigJson.read(root.toString());
        assertEquals(Tracing.DEFAULT, c.tracing());
        assertEquals(Genesis.DEFAULT_MIN_GAS_PRICE_WEI, c.genesis().minGasPriceWei());
        assertEquals(Genesis.DEFAULT_MAX_TX_BYTES, c.genesis().maxTxBytes());
        assertEquals(Genesis.DEFAULT_MAX_BLOCK_BYTES, c.genesis().maxBlockBytes());
        assertEquals(new Image("", ""), c.image());
    }

    @Test
    void theProcessViewLeavesOutOnlyTheLiveFields() throws Exception {
        SubnodeConfig config = sample();
        SubnodeConfig otherMembers = config.withLiveFields(new SubnodeConfig(config.chainId(), config.chainName(), config.evmChainId(), 1, 3,
                config.bindIp(), config.ports(), config.members().subList(0, 1), config.consensus(), config.genesis(), config.keyFile(),
                config.passwordFile(), config.dataDir(), config.image(), config.tracing()));
        assertNotEquals(SubnodeConfigJson.write(config), SubnodeConfigJson.write(otherMembers));
        assertEquals(SubnodeConfigJson.writeProcessView(config), SubnodeConfigJson.writeProcessView(otherMembers));
        assertFalse(JSON.readTree(SubnodeConfigJson.writeProcessView(config)).has("members"));
        assertEquals(List.of(), config.restartFieldsChanged(otherMembers));
    }

    @Test
    void aChangeOutsideTheMemberSetNeedsANewProcess() {
        SubnodeConfig config = sample();
        SubnodeConfig otherPorts = new SubnodeConfig(config.chainId(), config.chainName(), config.evmChainId(), 1, 4, config.bindIp(),
                PortLayout.of(21000, 4), config.members(), config.consensus(), config.genesis(), config.keyFile(), config.passwordFile(),
                config.dataDir(), new Image("1.3.0", ""), config.tracing());
        assertEquals(List.of("slot", "ports", "image"), config.restartFieldsChanged(otherPorts));
    }

    @Test
    void thePortLayoutIsSixteenPortsPerSlot() {
        assertEquals(new Ports(21048, 21049, 21050, 21051, 21052), PortLayout.of(21000, 3));
        assertEquals(21000 + 128 * 16 - 1, PortLayout.last(21000));
        assertEquals("config: slot must be from 0 to 127: 128", assertThrows(ConfigException.class, () -> PortLayout.of(21000, 128)).getMessage());
    }

    // ----- bad values: one error, naming the field and the value -----

    private static ConfigException readWith(String path, Object value) throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(SubnodeConfigJson.write(sample()));
        String[] parts = path.split("\\.");
        ObjectNode parent = root;
        for (int i = 0; i < parts.length - 1; i++) {
            String p = parts[i];
            parent = p.endsWith("]") ? (ObjectNode) parent.get(p.substring(0, p.indexOf('['))).get(Integer.parseInt(p.replaceAll(".*\\[(\\d+)]", "$1")))
                    : (ObjectNode) parent.get(p);
        }
        String last = parts[parts.length - 1];
        if (value == null) parent.remove(last);
        else parent.set(last, JSON.valueToTree(value));
        return assertThrows(ConfigException.class, () -> SubnodeConfigJson.read(root.toString()));
    }

    @Test
    void theStateSectionIsOptionalReadBackAndChecked() throws Exception {
        SubnodeConfig config = sample();
        assertEquals(StateStore.DEFAULT, config.state());
        assertFalse(JSON.readTree(SubnodeConfigJson.write(config)).has("state"), "defaults are not written");
        SubnodeConfig archive = new SubnodeConfig(config.chainId(), config.chainName(), config.evmChainId(), config.nodeId(), config.slot(),
                config.bindIp(), config.ports(), config.members(), config.consensus(), config.genesis(), config.keyFile(),
                config.passwordFile(), config.dataDir(), config.image(), config.tracing(), new StateStore(32, 1024, true));
        String json = SubnodeConfigJson.write(archive);
        assertEquals(archive, SubnodeConfigJson.read(json));
        assertEquals(List.of("state"), config.restartFieldsChanged(archive));
        ObjectNode root = (ObjectNode) JSON.readTree(json);
        ((ObjectNode) root.get("state")).put("historyBlocks", 0);
        ConfigException e = assertThrows(ConfigException.class, () -> SubnodeConfigJson.read(root.toString()));
        assertEquals("config: state.historyBlocks must be from 1 to 1000000: 0", e.getMessage());
    }

    @Test
    void aBadPortIsNamedByItsPath() throws Exception {
        ConfigException e = readWith("members[1].ports.consensus", 70000);
        assertEquals("members[1].ports.consensus", e.field());
        assertEquals("config: members[1].ports.consensus is not a port number (1-65535): 70000", e.getMessage());
        assertEquals("ports.rpcWs", readWith("ports.rpcWs", 0).field());
        assertEquals("ports.metrics", readWith("ports.metrics", "8080").field());
    }

    @Test
    void badAddressesAndIpsAreNamed() throws Exception {
        assertEquals("config: members[0].address is not an address (0x and 40 hex digits): 0x12",
                readWith("members[0].address", "0x12").getMessage());
        assertEquals("config: bindIp is not an IPv4 address: 256.0.0.1", readWith("bindIp", "256.0.0.1").getMessage());
        assertEquals("members[1].ip", readWith("members[1].ip", "::1").field());
        assertEquals("genesis.owner", readWith("genesis.owner", "owner").field());
    }

    @Test
    void missingAndMistypedFieldsAreNamed() throws Exception {
        assertEquals("config: chainName is missing or not a string", readWith("chainName", null).getMessage());
        assertEquals("config: chainId is missing", readWith("chainId", null).getMessage());
        assertEquals("config: nodeId is not a non-negative integer: -1", readWith("nodeId", -1).getMessage());
        assertEquals("config: evmChainId is not a non-negative integer: 1.5", readWith("evmChainId", 1.5).getMessage());
        assertEquals("config: consensus must be an object", readWith("consensus", "bft").getMessage());
        assertEquals("config: members must be an array", readWith("members", Map.of()).getMessage());
    }

    @Test
    void outOfRangeValuesAreNamedWithTheirBounds() throws Exception {
        assertEquals("config: consensus.blockTimeMs must be positive: 0", readWith("consensus.blockTimeMs", 0).getMessage());
        assertEquals("config: genesis.maxBlockBytes must be from 65536 to 3145728: 4194304",
                readWith("genesis.maxBlockBytes", 4 << 20).getMessage());
        assertEquals("config: tracing.concurrency must be from 1 to 16: 17", readWith("tracing.concurrency", 17).getMessage());
        assertEquals("config: tracing.enabled must be true or false: \"yes\"", readWith("tracing.enabled", "yes").getMessage());
        assertEquals("config: genesis.minGasPriceWei is not an amount of wei: \"-5\"", readWith("genesis.minGasPriceWei", "-5").getMessage());
        assertEquals("config: slot must be from 0 to 127: 200", readWith("slot", 200).getMessage());
    }

    @Test
    void theMemberSetMustIncludeThisNodeOnceEach() throws Exception {
        assertEquals("config: members does not include this node (nodeId 9)", readWith("nodeId", 9).getMessage());
        assertEquals("config: members[1].nodeId appears twice: 1", readWith("members[1].nodeId", 1).getMessage());
    }

    @Test
    void unreadableFilesAreOneLineErrors(@TempDir Path dir) throws Exception {
        assertEquals("config " + dir.resolve("none.json") + ": no such file",
                assertThrows(ConfigException.class, () -> SubnodeConfigJson.load(dir.resolve("none.json"))).getMessage());
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"chainId\": ");
        assertTrue(assertThrows(ConfigException.class, () -> SubnodeConfigJson.load(broken)).getMessage().startsWith("config " + broken + ": not JSON: "));
        Path array = Files.writeString(dir.resolve("array.json"), "[]");
        assertEquals("config " + array + ": not a JSON object", assertThrows(ConfigException.class, () -> SubnodeConfigJson.load(array)).getMessage());
        Path good = Files.writeString(dir.resolve("config.json"), SubnodeConfigJson.write(sample()));
        assertEquals(sample(), SubnodeConfigJson.load(good));
    }
}
