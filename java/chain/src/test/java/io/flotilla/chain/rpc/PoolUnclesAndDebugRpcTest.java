package io.flotilla.chain.rpc;

import static io.flotilla.chain.tx.TestTxs.CHAIN_ID;
import static io.flotilla.chain.tx.TestTxs.ETHER;
import static io.flotilla.chain.tx.TestTxs.GWEI;
import static io.flotilla.chain.tx.TestTxs.OWNER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.utils.Numeric;

/** txpool_*, the uncle methods, eth_createAccessList and the debug_ error answers, over real HTTP on a dev node. */
class PoolUnclesAndDebugRpcTest {
    private static final Address PROPOSER = Address.fromHex("0x00000000000000000000000000000000000000b0");
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dataDir;

    private JsonNode rpc(DevNode node, String method, String params) throws Exception {
        String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + params + "}";
        HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create(node.url())).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return json.readTree(resp.body());
    }

    private DevNode start() {
        Genesis genesis = Genesis.of(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, GWEI), TestTxs.address(OWNER), ETHER.multiply(BigInteger.TEN));
        return DevNode.start(dataDir, genesis, PROPOSER, RpcConfig.loopback(0));
    }

    @Test
    void theTxpoolShowsATransactionWaitingBehindANonceGapAsQueued() throws Exception {
        try (DevNode node = start()) {
            String bob = TestTxs.address(TestTxs.BOB).toString();
            byte[] gapped = TestTxs.legacy(OWNER, CHAIN_ID, 5, GWEI, 21_000, bob, BigInteger.ONE, "");
            assertTrue(rpc(node, "eth_sendRawTransaction", "[\"" + Numeric.toHexString(gapped) + "\"]").has("result"));
            assertEquals(json.readTree("{\"pending\":\"0x0\",\"queued\":\"0x1\"}"), rpc(node, "txpool_status", "[]").get("result"));
            String owner = TestTxs.address(OWNER).toString();
            JsonNode content = rpc(node, "txpool_content", "[]").get("result");
            assertEquals(0, content.get("pending").size());
            JsonNode tx = content.get("queued").get(owner).get("5");
            assertEquals("0x5", tx.get("nonce").asText());
            assertEquals(bob, tx.get("to").asText());
            assertTrue(tx.get("blockHash").isNull());
            assertEquals(bob + ": 1 wei + 21000 gas × 1000000000 wei",
                    rpc(node, "txpool_inspect", "[]").get("result").get("queued").get(owner).get("5").asText());
        }
    }

    /** web3j has no typed debug_ API: a generic request, as a web3j user writes it. */
    public static final class TraceResponse extends org.web3j.protocol.core.Response<java.util.Map<String, Object>> {
    }

    @Test
    void web3jReadsACallTraceThroughAGenericRequest() throws Exception {
        try (DevNode node = start()) {
            org.web3j.protocol.http.HttpService service = new org.web3j.protocol.http.HttpService(node.url());
            org.web3j.protocol.Web3j web3 = org.web3j.protocol.Web3j.build(service);
            String bob = TestTxs.address(TestTxs.BOB).toString();
            String hash = RpcCalls.send(web3, TestTxs.legacy(OWNER, CHAIN_ID, 0, GWEI, 21_000, bob, BigInteger.TEN, ""));
            RpcCalls.receipt(web3, hash, java.time.Duration.ofSeconds(15));
            TraceResponse r = new org.web3j.protocol.core.Request<>("debug_traceTransaction",
                    java.util.List.of(hash, java.util.Map.of("tracer", "callTracer")), service, TraceResponse.class).send();
            assertTrue(!r.hasError(), () -> r.getError().getMessage());
            assertEquals("CALL", r.getResult().get("type"));
            assertEquals(bob, r.getResult().get("to"));
            assertEquals("0xa", r.getResult().get("value"));
            assertEquals("0x5208", r.getResult().get("gasUsed"));
            web3.shutdown();
        }
    }

    @Test
    void aChainWithoutUnclesAnswersZeroAndNull() throws Exception {
        try (DevNode node = start()) {
            assertEquals("0x0", rpc(node, "eth_getUncleCountByBlockNumber", "[\"0x0\"]").get("result").asText());
            String hash = rpc(node, "eth_getBlockByNumber", "[\"0x0\", false]").get("result").get("hash").asText();
            assertEquals("0x0", rpc(node, "eth_getUncleCountByBlockHash", "[\"" + hash + "\"]").get("result").asText());
            assertTrue(rpc(node, "eth_getUncleCountByBlockNumber", "[\"0x99\"]").get("result").isNull(), "unknown block: null");
            assertTrue(rpc(node, "eth_getUncleByBlockNumberAndIndex", "[\"0x0\", \"0x0\"]").get("result").isNull());
            assertTrue(rpc(node, "eth_getUncleByBlockHashAndIndex", "[\"" + hash + "\", \"0x0\"]").get("result").isNull());
            assertEquals(-32602, rpc(node, "eth_getUncleByBlockHashAndIndex", "[\"0x12\", \"0x0\"]").get("error").get("code").asInt());
        }
    }

    @Test
    void createAccessListAndDebugErrorsAnswerInGethsShape() throws Exception {
        try (DevNode node = start()) {
            String bob = TestTxs.address(TestTxs.BOB).toString();
            JsonNode r = rpc(node, "eth_createAccessList", "[{\"from\":\"" + TestTxs.address(OWNER) + "\",\"to\":\"" + bob + "\"}, \"latest\"]");
            assertEquals(json.readTree("{\"accessList\":[],\"gasUsed\":\"0x5208\"}"), r.get("result"));
            r = rpc(node, "debug_traceTransaction", "[\"0x" + "00".repeat(32) + "\", {\"tracer\":\"noopTracer\"}]");
            assertEquals(-32602, r.get("error").get("code").asInt(), r.toString());
            r = rpc(node, "debug_traceTransaction", "[\"0x" + "00".repeat(32) + "\", {\"timeout\":\"soon\"}]");
            assertEquals(-32602, r.get("error").get("code").asInt(), r.toString());
            r = rpc(node, "debug_traceBlockByNumber", "[\"0x0\"]");
            assertEquals("genesis is not traceable", r.get("error").get("message").asText(), r.toString());
            r = rpc(node, "debug_traceBlockByNumber", "[\"0x77\"]");
            assertEquals(-32000, r.get("error").get("code").asInt(), r.toString());
            r = rpc(node, "debug_traceCall", "[{\"to\":\"" + bob + "\"}, \"latest\", {\"tracer\":\"callTracer\",\"timeout\":\"2s\"}]");
            assertEquals("CALL", r.get("result").get("type").asText(), r.toString());
        }
    }
}
