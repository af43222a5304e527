package io.flotilla.chain.rpc;

import static io.flotilla.chain.tx.TestTxs.ALICE;
import static io.flotilla.chain.tx.TestTxs.BOB;
import static io.flotilla.chain.tx.TestTxs.CHAIN_ID;
import static io.flotilla.chain.tx.TestTxs.ETHER;
import static io.flotilla.chain.tx.TestTxs.GWEI;
import static io.flotilla.chain.tx.TestTxs.OWNER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/** A dApp developer's view: web3j over real HTTP against a dev node on 127.0.0.1. */
class JsonRpcEndToEndTest {
    /** See TestContract for the assembly: get (no calldata), set(word) with LOG1 topic 0xaa, revert 0xdeadbeef on 0. */
    private static final String INIT = io.flotilla.chain.execution.TestContract.INIT;
    private static final String TOPIC = "0x" + "00".repeat(31) + "aa";
    private static final Address PROPOSER = Address.fromHex("0x00000000000000000000000000000000000000b0");
    private static final Duration RECEIPT_TIMEOUT = Duration.ofSeconds(15);

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dataDir;

    private static Genesis genesis() {
        return Genesis.of(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, GWEI), TestTxs.address(OWNER), ETHER.multiply(BigInteger.valueOf(100)));
    }

    private DevNode start() {
        return DevNode.start(dataDir, genesis(), PROPOSER, RpcConfig.loopback(0));
    }

    private static TransactionReceipt waitForReceipt(Web3j web3, String hash) throws Exception {
        return RpcCalls.receipt(web3, hash, RECEIPT_TIMEOUT);
    }

    private static String send(Web3j web3, byte[] raw) throws Exception {
        EthSendTransaction r = web3.ethSendRawTransaction(Numeric.toHexString(raw)).send();
        assertFalse(r.hasError(), () -> r.getError().getMessage());
        assertEquals(Hash.sha3(Numeric.toHexString(raw)), r.getTransactionHash(), "the node returns the hash the wallet computed");
        return r.getTransactionHash();
    }

    private static Response.Error sendError(Web3j web3, byte[] raw) throws Exception {
        EthSendTransaction r = web3.ethSendRawTransaction(Numeric.toHexString(raw)).send();
        assertTrue(r.hasError(), "expected a refusal");
        return r.getError();
    }

    private JsonNode post(String url, String body) throws Exception {
        HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        return json.readTree(resp.body());
    }

    @Test
    void walletAndDappFlowsWorkEndToEndAndSurviveARestart() throws Exception {
        String owner = OWNER.getAddress();
        String contract;
        String transferHash;
        String setHash;
        BigInteger headBeforeRestart;
        try (DevNode node = start()) {
            Web3j web3 = Web3j.build(new HttpService(node.url()));
            try {
                assertEquals(BigInteger.valueOf(CHAIN_ID), web3.ethChainId().send().getChainId());
                assertEquals(Long.toString(CHAIN_ID), web3.netVersion().send().getNetVersion());
                assertEquals(DevNode.CLIENT_VERSION, web3.web3ClientVersion().send().getWeb3ClientVersion());
                assertEquals(BigInteger.ZERO, web3.ethBlockNumber().send().getBlockNumber());
                assertEquals(GWEI, web3.ethGasPrice().send().getGasPrice());
                assertEquals(BigInteger.ZERO, web3.ethMaxPriorityFeePerGas().send().getMaxPriorityFeePerGas());
                assertFalse(web3.ethSyncing().send().isSyncing());
                assertTrue(web3.ethAccounts().send().getAccounts().isEmpty());

                // A value transfer, legacy EIP-155.
                transferHash = send(web3, TestTxs.legacy(OWNER, CHAIN_ID, 0, GWEI.multiply(BigInteger.TWO), 21_000, ALICE.getAddress(), ETHER, ""));
                TransactionReceipt transfer = waitForReceipt(web3, transferHash);
                assertTrue(transfer.isStatusOK());
                assertEquals(BigInteger.valueOf(21_000), transfer.getGasUsed());
                assertEquals(owner, transfer.getFrom());
                assertEquals(ETHER, web3.ethGetBalance(ALICE.getAddress(), DefaultBlockParameterName.LATEST).send().getBalance());
                assertEquals(BigInteger.ONE, web3.ethGetTransactionCount(owner, DefaultBlockParameterName.LATEST).send().getTransactionCount());
                var tx = web3.ethGetTransactionByHash(transferHash).send().getTransaction().orElseThrow();
                assertEquals(ALICE.getAddress(), tx.getTo());
                assertEquals(ETHER, tx.getValue());
                assertEquals(transfer.getBlockHash(), tx.getBlockHash());

                EthBlock.Block block = web3.ethGetBlockByNumber(DefaultBlockParameter.valueOf(transfer.getBlockNumber()), true).send().getBlock();
                assertEquals(GWEI, block.getBaseFeePerGas());
                assertEquals(transferHash, ((EthBlock.TransactionObject) block.getTransactions().get(0)).getHash());
                EthBlock.Block byHash = web3.ethGetBlockByHash(block.getHash(), false).send().getBlock();
                assertEquals(block.getNumber(), byHash.getNumber());
                assertEquals(transferHash, byHash.getTransactions().get(0).get());
                assertEquals(block.getHash(), web3.ethGetBlockByNumber(DefaultBlockParameterName.FINALIZED, false).send().getBlock().getHash(),
                        "BFT blocks are final once committed");

                var byIndex = web3.ethGetTransactionByBlockNumberAndIndex(DefaultBlockParameter.valueOf(transfer.getBlockNumber()), BigInteger.ZERO)
                        .send().getTransaction().orElseThrow();
                assertEquals(transferHash, byIndex.getHash());
                JsonNode blockReceipts = post(node.url(), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBlockReceipts\",\"params\":[\""
                        + Numeric.toHexStringWithPrefix(transfer.getBlockNumber()) + "\"]}").get("result");
                assertEquals(transferHash, blockReceipts.get(0).get("transactionHash").asText());

                // A nonce gap keeps a transaction pending: visible by hash, not counted in the pending nonce.
                String gapped = send(web3, TestTxs.transfer(OWNER, 2, BOB.getAddress(), BigInteger.ONE));
                var pending = web3.ethGetTransactionByHash(gapped).send().getTransaction().orElseThrow();
                assertNull(pending.getBlockHash());
                assertEquals(BigInteger.ONE, web3.ethGetTransactionCount(owner, DefaultBlockParameterName.PENDING).send().getTransactionCount());

                // Deployment (EIP-1559) fills the gap; both then get mined.
                String deployHash = send(web3, TestTxs.eip1559(OWNER, CHAIN_ID, 1, 300_000, null, BigInteger.ZERO, "0x" + INIT, GWEI, GWEI.multiply(BigInteger.TWO)));
                TransactionReceipt deploy = waitForReceipt(web3, deployHash);
                assertTrue(deploy.isStatusOK());
                contract = deploy.getContractAddress();
                assertNotNull(contract);
                assertTrue(web3.ethGetCode(contract, DefaultBlockParameterName.LATEST).send().getCode().length() > 2);
                assertTrue(waitForReceipt(web3, gapped).isStatusOK());

                // A state-changing call that logs.
                setHash = send(web3, TestTxs.legacy(OWNER, CHAIN_ID, 3, GWEI, 100_000, contract, BigInteger.ZERO, TestTxs.word(42)));
                TransactionReceipt set = waitForReceipt(web3, setHash);
                assertEquals(1, set.getLogs().size());
                assertEquals(List.of(TOPIC), set.getLogs().get(0).getTopics());
                assertEquals(TestTxs.word(42), web3.ethGetStorageAt(contract, BigInteger.ZERO, DefaultBlockParameterName.LATEST).send().getData());

                EthLog logs = web3.ethGetLogs(new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, contract)
                        .addSingleTopic(TOPIC)).send();
                assertFalse(logs.hasError(), () -> logs.getError().getMessage());
                assertEquals(1, logs.getLogs().size());
                Log log = (Log) logs.getLogs().get(0).get();
                assertEquals(setHash, log.getTransactionHash());
                assertEquals(TestTxs.word(42), log.getData());
                EthLog none = web3.ethGetLogs(new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, contract)
                        .addSingleTopic(TestTxs.word(0xbb))).send();
                assertTrue(none.getLogs().isEmpty());

                // eth_call: a view, then a revert with its data.
                EthCall get = web3.ethCall(Transaction.createEthCallTransaction(owner, contract, "0x"), DefaultBlockParameterName.LATEST).send();
                assertEquals(TestTxs.word(42), get.getValue());
                EthCall revert = web3.ethCall(Transaction.createEthCallTransaction(owner, contract, TestTxs.word(0)), DefaultBlockParameterName.LATEST).send();
                assertTrue(revert.hasError());
                assertEquals(3, revert.getError().getCode());
                assertEquals("execution reverted", revert.getError().getMessage());
                assertEquals("0xdeadbeef", revert.getError().getData().replace("\"", ""));

                BigInteger estimate = web3.ethEstimateGas(Transaction.createEthCallTransaction(owner, contract, TestTxs.word(7))).send().getAmountUsed();
                assertTrue(estimate.longValue() > 21_000 && estimate.longValue() < 100_000, "estimate " + estimate);
                var failingEstimate = web3.ethEstimateGas(Transaction.createEthCallTransaction(owner, contract, TestTxs.word(0))).send();
                assertEquals(3, failingEstimate.getError().getCode());

                // Refusals with the codes and messages libraries look for.
                Response.Error low = sendError(web3, TestTxs.transfer(OWNER, 0, ALICE.getAddress(), BigInteger.ONE));
                assertEquals(-32000, low.getCode());
                assertEquals("nonce too low", low.getMessage());
                Response.Error poor = sendError(web3, TestTxs.transfer(BOB, 0, ALICE.getAddress(), ETHER.multiply(BigInteger.TEN)));
                assertEquals(-32000, poor.getCode());
                assertEquals("insufficient funds for gas * price + value", poor.getMessage());
                Response.Error foreign = sendError(web3, TestTxs.legacy(OWNER, CHAIN_ID + 1, 4, GWEI, 21_000, ALICE.getAddress(), BigInteger.ONE, ""));
                assertEquals(-32000, foreign.getCode());
                assertTrue(foreign.getMessage().startsWith("invalid chain id for signer"), foreign.getMessage());

                var history = web3.ethFeeHistory(4, DefaultBlockParameterName.LATEST, List.of(50.0)).send().getFeeHistory();
                assertEquals(5, history.getBaseFeePerGas().size(), "blockCount + 1 base fees");
                assertTrue(history.getBaseFeePerGas().stream().allMatch(GWEI::equals));
                assertEquals(4, history.getReward().size());

                headBeforeRestart = web3.ethBlockNumber().send().getBlockNumber();
            } finally {
                web3.shutdown();
            }
        }

        // Same RocksDB directory, new process state: everything is read back.
        try (DevNode node = start()) {
            Web3j web3 = Web3j.build(new HttpService(node.url()));
            try {
                assertEquals(headBeforeRestart, web3.ethBlockNumber().send().getBlockNumber());
                assertEquals(ETHER, web3.ethGetBalance(ALICE.getAddress(), DefaultBlockParameterName.LATEST).send().getBalance());
                assertTrue(web3.ethGetTransactionReceipt(transferHash).send().getTransactionReceipt().orElseThrow().isStatusOK());
                assertEquals(contract, web3.ethGetTransactionReceipt(setHash).send().getTransactionReceipt().orElseThrow().getTo());
                assertEquals(1, web3.ethGetLogs(new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, contract))
                        .send().getLogs().size());
                assertEquals(TestTxs.word(42), web3.ethCall(Transaction.createEthCallTransaction(owner, contract, "0x"), DefaultBlockParameterName.LATEST)
                        .send().getValue());
                String next = send(web3, TestTxs.transfer(OWNER, 4, BOB.getAddress(), BigInteger.ONE));
                assertTrue(waitForReceipt(web3, next).isStatusOK(), "the restarted node keeps producing");
            } finally {
                web3.shutdown();
            }
        }
    }

    @Test
    void aBatchOfManyTransactionsIsMinedCompletelyInNonceOrder() throws Exception {
        try (DevNode node = start()) {
            int count = 40;
            StringBuilder batch = new StringBuilder("[");
            for (int nonce = 0; nonce < count; nonce++) {
                byte[] raw = TestTxs.transfer(OWNER, nonce, BOB.getAddress(), BigInteger.valueOf(1_000));
                if (nonce > 0) batch.append(',');
                batch.append("{\"jsonrpc\":\"2.0\",\"id\":").append(nonce)
                        .append(",\"method\":\"eth_sendRawTransaction\",\"params\":[\"").append(Numeric.toHexString(raw)).append("\"]}");
            }
            JsonNode hashes = post(node.url(), batch.append(']').toString());
            assertEquals(count, hashes.size());
            for (JsonNode h : hashes) assertTrue(h.has("result"), h.toString());

            Web3j web3 = Web3j.build(new HttpService(node.url()));
            try {
                TransactionReceipt last = waitForReceipt(web3, hashes.get(count - 1).get("result").asText());
                assertTrue(last.isStatusOK());
                for (JsonNode h : hashes) assertTrue(waitForReceipt(web3, h.get("result").asText()).isStatusOK());
                assertEquals(BigInteger.valueOf(count), web3.ethGetTransactionCount(OWNER.getAddress(), DefaultBlockParameterName.LATEST).send().getTransactionCount());
                assertEquals(BigInteger.valueOf(1_000L * count), web3.ethGetBalance(BOB.getAddress(), DefaultBlockParameterName.LATEST).send().getBalance());
            } finally {
                web3.shutdown();
            }
        }
    }

    @Test
    void protocolLevelErrorsBatchesAndLimits() throws Exception {
        try (DevNode node = start()) {
            String url = node.url();
            JsonNode batch = post(url, """
                    [{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]},
                     {"jsonrpc":"2.0","id":2,"method":"eth_blockNumber"},
                     {"jsonrpc":"2.0","id":3,"method":"eth_noSuchThing","params":[]},
                     {"jsonrpc":"2.0","method":"eth_chainId","params":[]}]""");
            assertEquals(3, batch.size(), "the notification gets no response");
            assertEquals("0x" + Long.toHexString(CHAIN_ID), batch.get(0).get("result").asText());
            assertEquals("0x0", batch.get(1).get("result").asText());
            assertEquals(-32601, batch.get(2).get("error").get("code").asInt());
            assertEquals(3, batch.get(2).get("id").asInt());

            assertEquals(-32700, post(url, "{not json").get("error").get("code").asInt());
            assertEquals(-32600, post(url, "{\"jsonrpc\":\"2.0\",\"id\":1}").get("error").get("code").asInt());
            assertEquals(-32600, post(url, "[]").get("error").get("code").asInt());
            assertEquals(-32602, post(url, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBalance\",\"params\":[\"0x12\",\"latest\"]}")
                    .get("error").get("code").asInt());
            assertEquals(-32602, post(url, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBalance\",\"params\":[]}")
                    .get("error").get("code").asInt());
            assertEquals(-32000, post(url, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_sendRawTransaction\",\"params\":[\"0xc0\"]}")
                    .get("error").get("code").asInt(), "undecodable transaction");

            String tooMany = "[" + String.join(",", java.util.Collections.nCopies(101, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\"}")) + "]";
            JsonNode tooLarge = post(url, tooMany);
            assertEquals(-32600, tooLarge.get("error").get("code").asInt());

            HttpResponse<String> huge = http.send(HttpRequest.newBuilder(URI.create(url))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"x\":\"" + "a".repeat(6 << 20) + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(413, huge.statusCode());

            assertTrue(post(url, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"eth_getBlockByNumber\",\"params\":[\"0x99\",false]}").get("result").isNull(),
                    "unknown blocks are null, not errors");
            JsonNode genesisBlock = post(url, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"eth_getBlockByNumber\",\"params\":[\"earliest\",false]}").get("result");
            assertEquals("0x0", genesisBlock.get("number").asText());
            assertEquals("0x3b9aca00", genesisBlock.get("baseFeePerGas").asText());
        }
    }
}
