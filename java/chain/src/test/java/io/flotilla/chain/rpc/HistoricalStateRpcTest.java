package io.flotilla.chain.rpc;

import static io.flotilla.chain.tx.TestTxs.ALICE;
import static io.flotilla.chain.tx.TestTxs.CHAIN_ID;
import static io.flotilla.chain.tx.TestTxs.ETHER;
import static io.flotilla.chain.tx.TestTxs.GWEI;
import static io.flotilla.chain.tx.TestTxs.OWNER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.rlp.Rlp;
import io.flotilla.evm.trie.TrieProof;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.vm.ContractAddress;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * Reads at past blocks over JSON-RPC (real HTTP, a dev node on 127.0.0.1): eth_call, eth_getBalance,
 * eth_getStorageAt, eth_getCode, eth_getTransactionCount and eth_getProof answer as of the block asked for, proofs
 * verify against that block's state root, and blocks beyond the kept window are refused with a clear error.
 */
class HistoricalStateRpcTest {
    private static final Address PROPOSER = Address.fromHex("0x00000000000000000000000000000000000000b0");
    private static final String STRANGER = "0x00000000000000000000000000000000000000ee";

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dataDir;

    private JsonNode rpc(String url, String method, String params) throws Exception {
        String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + params + "}";
        HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return json.readTree(resp.body());
    }

    private JsonNode result(String url, String method, String params) throws Exception {
        JsonNode r = rpc(url, method, params);
        assertTrue(r.has("result"), () -> method + " " + params + " failed: " + r);
        return r.get("result");
    }

    private static String hex(long n) {
        return "0x" + Long.toHexString(n);
    }

    /** Submits from OWNER and returns the block that included it (the dev node mines one block per submission). */
    private long mine(DevNode node, long nonce, String to, BigInteger value, String data, long gas) throws Exception {
        byte[] raw = TestTxs.legacy(OWNER, CHAIN_ID, nonce, GWEI, gas, to, value, data);
        node.devChain().submission().submit(raw);
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < deadline) {
            var at = node.devChain().chain().txLocation(Keccak.hash(raw));
            if (at.isPresent()) return at.get().blockNumber();
            Thread.sleep(20);
        }
        throw new AssertionError("transaction " + nonce + " was not mined");
    }

    @Test
    void readsAndProofsAtEveryRecentBlockShowThatBlocksState() throws Exception {
        Genesis genesis = Genesis.of(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, GWEI), TestTxs.address(OWNER), ETHER.multiply(BigInteger.valueOf(100)));
        try (DevNode node = DevNode.start(dataDir, genesis, PROPOSER, RpcConfig.loopback(0))) {
            String url = node.url();
            String owner = TestTxs.address(OWNER).toString();
            String contract = ContractAddress.create(TestTxs.address(OWNER), 0).toString();
            long deployed = mine(node, 0, null, BigInteger.ZERO, "0x" + io.flotilla.chain.execution.TestContract.INIT, 500_000);
            List<Long> blocks = new ArrayList<>();
            long nonce = 1;
            for (int i = 1; i <= 4; i++) {
                mine(node, nonce++, ALICE.getAddress(), BigInteger.valueOf(i), "0x", 21_000);
                blocks.add(mine(node, nonce++, contract, BigInteger.ZERO, TestTxs.word(i * 7L), 100_000));
            }
            for (int i = 1; i <= 4; i++) {
                String at = "\"" + hex(blocks.get(i - 1)) + "\"";
                // eth_call and the plain reads answer as of that block
                assertEquals(TestTxs.word(i * 7L), result(url, "eth_call", "[{\"from\":\"" + owner + "\",\"to\":\"" + contract + "\",\"data\":\"0x\"}," + at + "]").asText());
                assertEquals(TestTxs.word(i * 7L), result(url, "eth_getStorageAt", "[\"" + contract + "\",\"0x0\"," + at + "]").asText());
                long paid = (long) i * (i + 1) / 2;
                assertEquals(hex(paid), result(url, "eth_getBalance", "[\"" + ALICE.getAddress() + "\"," + at + "]").asText());
                assertEquals(hex(2L * i + 1), result(url, "eth_getTransactionCount", "[\"" + owner + "\"," + at + "]").asText());
                assertTrue(result(url, "eth_getCode", "[\"" + contract + "\"," + at + "]").asText().length() > 2);
                // estimating a transfer larger than the balance then fails, one the balance covers succeeds
                String fromAlice = "{\"from\":\"" + ALICE.getAddress() + "\",\"to\":\"" + STRANGER + "\",\"value\":\"";
                assertEquals("0x5208", result(url, "eth_estimateGas", "[" + fromAlice + hex(paid) + "\"}," + at + "]").asText());
                assertEquals(-32000, rpc(url, "eth_estimateGas", "[" + fromAlice + hex(paid + 1) + "\"}," + at + "]").path("error").path("code").asInt());

                // eth_getProof: the account and its slots, verified against the state root of that block's header
                byte[] stateRoot = Hex.decode(result(url, "eth_getBlockByNumber", "[" + at + ",false]").get("stateRoot").asText());
                JsonNode proof = result(url, "eth_getProof", "[\"" + contract + "\",[\"0x0\",\"0x01\"]," + at + "]");
                List<RlpType> account = verifiedAccount(stateRoot, contract, proof).orElseThrow();
                assertEquals(proof.get("nonce").asText(), hex(uint(account.get(0)).longValueExact()));
                assertEquals(proof.get("balance").asText(), "0x" + uint(account.get(1)).toString(16));
                assertEquals(proof.get("storageHash").asText(), Hex.encode(((RlpString) account.get(2)).getBytes()));
                assertEquals(proof.get("codeHash").asText(), Hex.encode(((RlpString) account.get(3)).getBytes()));
                byte[] storageRoot = Hex.decode(proof.get("storageHash").asText());
                JsonNode slot0 = proof.get("storageProof").get(0);
                assertEquals("0x0", slot0.get("key").asText(), "the key comes back as asked");
                assertEquals(hex(i * 7L), slot0.get("value").asText());
                byte[] shown = TrieProof.verify(storageRoot, Keccak.hash(new byte[32]), nodes(slot0.get("proof"))).orElseThrow();
                assertEquals(BigInteger.valueOf(i * 7L), new BigInteger(1, ((RlpString) Rlp.raw(shown)).getBytes()));
                JsonNode slot1 = proof.get("storageProof").get(1);
                assertEquals("0x0", slot1.get("value").asText());
                byte[] key1 = new byte[32];
                key1[31] = 1;
                assertTrue(TrieProof.verify(storageRoot, Keccak.hash(key1), nodes(slot1.get("proof"))).isEmpty(), "slot 1 is proven empty");

                // an account that does not exist is proven absent, with the empty fields
                JsonNode none = result(url, "eth_getProof", "[\"" + STRANGER + "\",[]," + at + "]");
                assertTrue(verifiedAccount(stateRoot, STRANGER, none).isEmpty());
                assertEquals("0x0", none.get("balance").asText());
                assertEquals(Hex.encode(Keccak.EMPTY), none.get("codeHash").asText());
                assertEquals(Hex.encode(io.flotilla.evm.trie.PatriciaTrie.EMPTY_ROOT), none.get("storageHash").asText());
            }
            // the sender's account proof at the head matches eth_getBalance
            JsonNode head = result(url, "eth_getProof", "[\"" + owner + "\",[],\"latest\"]");
            assertEquals(result(url, "eth_getBalance", "[\"" + owner + "\",\"latest\"]").asText(), head.get("balance").asText());
            assertTrue(deployed > 0);

            // limits and refusals: too many keys, a block beyond the head
            StringBuilder keys = new StringBuilder("[");
            for (int k = 0; k <= EthApi.MAX_PROOF_KEYS; k++) keys.append(k == 0 ? "" : ",").append("\"0x").append(Integer.toHexString(k)).append('"');
            JsonNode tooMany = rpc(url, "eth_getProof", "[\"" + contract + "\"," + keys + "],\"latest\"]");
            assertEquals(-32602, tooMany.get("error").get("code").asInt(), tooMany.toString());
            assertTrue(tooMany.get("error").get("message").asText().contains("exceed the limit of " + EthApi.MAX_PROOF_KEYS));
            JsonNode future = rpc(url, "eth_getProof", "[\"" + contract + "\",[],\"0xffffff\"]");
            assertEquals(-32000, future.get("error").get("code").asInt());
            assertEquals("header not found", future.get("error").get("message").asText());

            // once a block leaves the kept window, every state read at it is refused by name, never answered wrongly
            for (int k = 0; k < ChainState.HISTORY_BLOCKS + 2; k++) node.devChain().produceBlock();
            String old = "\"" + hex(blocks.get(0)) + "\"";
            for (String[] call : List.of(
                    new String[] {"eth_call", "[{\"to\":\"" + contract + "\",\"data\":\"0x\"}," + old + "]"},
                    new String[] {"eth_estimateGas", "[{\"to\":\"" + contract + "\",\"data\":\"0x\"}," + old + "]"},
                    new String[] {"eth_getBalance", "[\"" + owner + "\"," + old + "]"},
                    new String[] {"eth_getStorageAt", "[\"" + contract + "\",\"0x0\"," + old + "]"},
                    new String[] {"eth_getCode", "[\"" + contract + "\"," + old + "]"},
                    new String[] {"eth_getTransactionCount", "[\"" + owner + "\"," + old + "]"},
                    new String[] {"eth_getProof", "[\"" + contract + "\",[\"0x0\"]," + old + "]"})) {
                JsonNode r = rpc(url, call[0], call[1]);
                assertEquals(-32000, r.path("error").path("code").asInt(), call[0] + ": " + r);
                assertTrue(r.get("error").get("message").asText().startsWith("historical state not available"), call[0] + ": " + r);
            }
            // the head still answers
            assertEquals(TestTxs.word(28), result(url, "eth_call", "[{\"to\":\"" + contract + "\",\"data\":\"0x\"},\"latest\"]").asText());
        }
    }

    /** Verifies the account proof of {@code address} against {@code stateRoot}; the account's RLP fields, or empty when proven absent. */
    private static Optional<List<RlpType>> verifiedAccount(byte[] stateRoot, String address, JsonNode proof) throws Exception {
        Optional<byte[]> leaf = TrieProof.verify(stateRoot, Keccak.hash(Hex.decode(address)), nodes(proof.get("accountProof")));
        return leaf.map(Rlp::decodeList);
    }

    private static List<byte[]> nodes(JsonNode array) {
        List<byte[]> out = new ArrayList<>();
        for (JsonNode n : array) out.add(Hex.decode(n.asText()));
        return out;
    }

    private static BigInteger uint(RlpType t) {
        return new BigInteger(1, ((RlpString) t).getBytes());
    }
}
