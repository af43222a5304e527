package io.flotilla.chain.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.flotilla.subnode.config.ConfigException;
import io.flotilla.subnode.config.SubnodeConfig;
import io.flotilla.subnode.config.SubnodeConfigJson;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node reads a config file an agent wrote (a file kept from a real run, with fields an older agent wrote); anything
 * wrong stops it with one line naming the field. The schema's own tests are in java/subnode-config.
 */
class ConfigLoaderTest {

    @TempDir
    Path dir;

    private String sample() throws Exception {
        return Files.readString(Path.of(Objects.requireNonNull(getClass().getResource("/config/agent-written.json")).toURI()));
    }

    private SubnodeConfig load(String json) throws Exception {
        return SubnodeConfigJson.load(Files.writeString(dir.resolve("config.json"), json));
    }

    @Test
    void readsWhatTheAgentWrites() throws Exception {
        SubnodeConfig c = load(sample());
        assertEquals(20, c.chainId());
        assertEquals("bench-19", c.chainName());
        assertEquals(0x464C0000L + 20, c.evmChainId());
        assertEquals(4, c.nodeId());
        assertEquals("127.0.0.64", c.bindIp());
        assertEquals(21242, c.ports().rpcHttp());
        assertEquals(4, c.members().size());
        assertEquals(c.ports(), c.self().ports());
        assertEquals("bft", c.consensus().engine());
        assertEquals(30_000_000, c.genesis().gasLimit());
        assertEquals(BigInteger.ZERO, c.genesis().minGasPriceWei(), "an explicit 0 is the owner's choice");
        assertEquals(128 * 1024, c.genesis().maxTxBytes());
        assertEquals(2 * 1024 * 1024, c.genesis().maxBlockBytes());
        assertEquals(new BigInteger("1000000000000000000000000"), c.genesis().alloc().get(c.genesis().owner()));
        assertEquals(Path.of("/config/node-key.json"), c.keyFile());
    }

    @Test
    void aChainWithoutAnExplicitPriceCostsOneGweiPerGas() throws Exception {
        SubnodeConfig c = load(sample().replace("\"minGasPriceWei\" : \"0\",", "").replace(", \"minGasPriceWei\" : \"0\"", ""));
        assertEquals(BigInteger.valueOf(1_000_000_000L), c.genesis().minGasPriceWei());
    }

    @Test
    void namesTheProblem() throws Exception {
        String ok = sample();
        assertEquals("config: bindIp is not an IPv4 address: 999.0.0.1",
                assertThrows(ConfigException.class, () -> load(ok.replace("\"bindIp\" : \"127.0.0.64\"", "\"bindIp\" : \"999.0.0.1\""))).getMessage());
        assertEquals("config: consensus.heartbeatMs must be positive: 0",
                assertThrows(ConfigException.class, () -> load(ok.replace("\"heartbeatMs\" : 30000", "\"heartbeatMs\" : 0"))).getMessage());
        assertEquals("config: members does not include this node (nodeId 99)",
                assertThrows(ConfigException.class, () -> load(ok.replace("\"nodeId\" : 4,\n  \"passwordFile\"", "\"nodeId\" : 99,\n  \"passwordFile\""))).getMessage());
        assertEquals("config: chainName is missing or not a string",
                assertThrows(ConfigException.class, () -> load(ok.replace("\"chainName\" : \"bench-19\",", ""))).getMessage());
        assertEquals("config: genesis.minGasPriceWei is not an amount of wei: \"cheap\"",
                assertThrows(ConfigException.class, () -> load(ok.replace("\"minGasPriceWei\" : \"0\"", "\"minGasPriceWei\" : \"cheap\""))).getMessage());
        assertEquals("config: genesis.maxTxBytes must be from 1024 to 1048576: 10",
                assertThrows(ConfigException.class, () -> load(ok.replace("\"minGasPriceWei\" : \"0\"", "\"minGasPriceWei\" : \"0\", \"maxTxBytes\" : 10"))).getMessage());
        String notJson = assertThrows(ConfigException.class, () -> load("{ not json")).getMessage();
        assertEquals(1, notJson.lines().count());
        assertThrows(ConfigException.class, () -> SubnodeConfigJson.load(dir.resolve("missing.json")));
    }
}
