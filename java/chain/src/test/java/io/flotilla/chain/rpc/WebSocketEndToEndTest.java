package io.flotilla.chain.rpc;

import static io.flotilla.chain.tx.TestTxs.CHAIN_ID;
import static io.flotilla.chain.tx.TestTxs.ETHER;
import static io.flotilla.chain.tx.TestTxs.GWEI;
import static io.flotilla.chain.tx.TestTxs.OWNER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.DevChain;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.execution.TestContract;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.evm.types.Address;
import io.reactivex.disposables.Disposable;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.ArrayList;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.websocket.WebSocketService;
import org.web3j.protocol.websocket.events.LogNotification;
import org.web3j.protocol.websocket.events.NewHeadsNotification;
import org.web3j.utils.Numeric;

/**
 * Subscriptions end to end: web3j's WebSocketService (everything over the one connection: deploy, transactions,
 * receipts, subscriptions) and the JDK's WebSocket client checking the notifications' exact JSON shape.
 */
class WebSocketEndToEndTest {
    private static final String TOPIC = "0x" + "00".repeat(31) + "aa";
    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dataDir;

    private DevChain chain;
    private WebSocketRpcServer server;

    @BeforeEach
    void start() throws Exception {
        Genesis genesis = Genesis.of(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, GWEI), TestTxs.address(OWNER), ETHER.multiply(BigInteger.TEN));
        chain = DevChain.open(dataDir, genesis, Address.fromHex("0x00000000000000000000000000000000000000b0"));
        server = new WebSocketRpcServer(WebSocketConfig.defaults("127.0.0.1", 0),
                new EthApi(chain.chain(), chain.mempool(), chain.submission(), "test"), chain.chain()).start();
    }

    @AfterEach
    void stop() {
        server.close();
        chain.close();
    }

    private static TransactionReceipt receipt(Web3j web3, String hash) throws Exception {
        return RpcCalls.receipt(web3, hash, TIMEOUT);
    }

    private static String send(Web3j web3, byte[] raw) throws Exception {
        return RpcCalls.send(web3, raw);
    }

    @Test
    void web3jSubscribesToHeadsAndLogsOverTheSameConnectionItTransactsOn() throws Exception {
        WebSocketService ws = new WebSocketService(server.url(), false);
        ws.connect();
        Web3j web3 = Web3j.build(ws);
        try {
            assertEquals(BigInteger.valueOf(CHAIN_ID), web3.ethChainId().send().getChainId());
            String contract = receipt(web3, send(web3, TestTxs.legacy(OWNER, CHAIN_ID, 0, GWEI, 200_000, null, BigInteger.ZERO, "0x" + TestContract.INIT)))
                    .getContractAddress();
            assertNotNull(contract);

            BlockingQueue<NewHeadsNotification> heads = new LinkedBlockingQueue<>();
            BlockingQueue<LogNotification> logs = new LinkedBlockingQueue<>();
            BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
            Disposable headSub = web3.newHeadsNotifications().subscribe(heads::add, errors::add);
            Disposable logSub = web3.logsNotifications(List.of(contract), List.of(TOPIC)).subscribe(logs::add, errors::add);
            waitFor(() -> ws.getSubscriptionIdsMap().size() == 2, "both subscriptions confirmed");

            TransactionReceipt set = receipt(web3, send(web3, TestTxs.legacy(OWNER, CHAIN_ID, 1, GWEI, 100_000, contract, BigInteger.ZERO, TestTxs.word(42))));
            assertEquals("0x1", set.getStatus());

            NewHeadsNotification head = heads.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertNotNull(head, () -> "no newHeads notification; errors: " + errors);
            assertEquals(set.getBlockNumber(), Numeric.decodeQuantity(head.getParams().getResult().getNumber()));
            assertEquals(set.getBlockHash(), head.getParams().getResult().getHash());

            LogNotification log = logs.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertNotNull(log, () -> "no logs notification; errors: " + errors);
            var l = log.getParams().getResult();
            assertEquals(contract, l.getAddress());
            assertEquals(List.of(TOPIC), l.getTopics());
            assertEquals(TestTxs.word(42), l.getData());
            assertEquals(set.getTransactionHash(), l.getTransactionHash());
            assertEquals(set.getBlockHash(), l.getBlockHash());
            // The same log through eth_getLogs over the same connection.
            EthLog viaGetLogs = web3.ethGetLogs(new EthFilter(DefaultBlockParameter.valueOf(set.getBlockNumber()),
                    DefaultBlockParameter.valueOf(set.getBlockNumber()), contract).addSingleTopic(TOPIC)).send();
            var same = (org.web3j.protocol.core.methods.response.Log) viaGetLogs.getLogs().get(0).get();
            assertEquals(same.getLogIndexRaw(), l.getLogIndex());
            assertEquals(same.getData(), l.getData());

            // Disposing unsubscribes (eth_unsubscribe): the server forgets both, and no error surfaced.
            headSub.dispose();
            logSub.dispose();
            waitFor(() -> ws.getSubscriptionIdsMap().isEmpty(), "web3j dropped its subscriptions");
            assertTrue(errors.isEmpty(), errors::toString);
            assertEquals(set.getBlockNumber(), web3.ethBlockNumber().send().getBlockNumber());
        } finally {
            web3.shutdown();
        }
    }

    @Test
    void notificationsHaveTheShapesOfGetBlockByNumberAndGetLogs() throws Exception {
        BlockingQueue<String> inbox = new LinkedBlockingQueue<>();   // answers
        BlockingQueue<String> notes = new LinkedBlockingQueue<>();   // eth_subscription notifications
        WebSocket.Listener listener = new WebSocket.Listener() {
            private final StringBuilder partial = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    // A block's notifications may overtake the answer to the request that caused the block.
                    (partial.indexOf("\"eth_subscription\"") >= 0 ? notes : inbox).add(partial.toString());
                    partial.setLength(0);
                }
                webSocket.request(1);
                return null;
            }
        };
        HttpClient http = HttpClient.newHttpClient();
        WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(server.url()), listener).get(5, TimeUnit.SECONDS);
        try {
            String contract = deploy(ws, inbox);
            ws.sendText(req(10, "eth_subscribe", "[\"newHeads\"]"), true).join();
            String headsId = next(inbox).get("result").asText();
            ws.sendText(req(11, "eth_subscribe", "[\"logs\",{\"address\":[\"" + contract + "\"],\"topics\":[[\"" + TOPIC + "\"]]}]"), true).join();
            String logsId = next(inbox).get("result").asText();
            ws.sendText(req(12, "eth_subscribe", "[\"logs\",{\"topics\":[null,\"" + TOPIC + "\"]}]"), true).join(); // matches nothing
            String noneId = next(inbox).get("result").asText();

            byte[] raw = TestTxs.legacy(OWNER, CHAIN_ID, 1, GWEI, 100_000, contract, BigInteger.ZERO, TestTxs.word(7));
            ws.sendText(req(13, "eth_sendRawTransaction", "[\"" + Numeric.toHexString(raw) + "\"]"), true).join();
            assertTrue(next(inbox).has("result"));

            // Heads of other blocks (an empty heartbeat block) may come first: take the head of the log's block.
            List<JsonNode> seen = new ArrayList<>();
            JsonNode logNote = null;
            JsonNode headNote = null;
            while (logNote == null || headNote == null) {
                JsonNode note = next(notes);
                seen.add(note);
                String sub = note.get("params").get("subscription").asText();
                assertTrue(sub.equals(headsId) || sub.equals(logsId), () -> "a notification of another subscription: " + note);
                if (sub.equals(logsId)) logNote = note;
                for (JsonNode n : seen) {
                    if (logNote != null && n.get("params").get("subscription").asText().equals(headsId)
                            && n.get("params").get("result").get("number").equals(logNote.get("params").get("result").get("blockNumber"))) {
                        headNote = n;
                    }
                }
            }
            assertEquals("2.0", headNote.get("jsonrpc").asText());
            assertEquals("eth_subscription", headNote.get("method").asText());
            assertFalse(headNote.has("id"));

            JsonNode head = headNote.get("params").get("result");
            ws.sendText(req(14, "eth_getBlockByNumber", "[\"" + head.get("number").asText() + "\",false]"), true).join();
            ObjectNode block = (ObjectNode) next(inbox).get("result");
            assertEquals(1, block.get("transactions").size());
            block.remove("transactions");
            block.remove("uncles");
            assertEquals(block, head, "newHeads result = eth_getBlockByNumber without the body");

            ws.sendText(req(15, "eth_getLogs", "[{\"blockHash\":\"" + head.get("hash").asText() + "\"}]"), true).join();
            JsonNode logsViaGet = next(inbox).get("result");
            assertEquals(1, logsViaGet.size());
            assertEquals(logsViaGet.get(0), logNote.get("params").get("result"), "logs result = the eth_getLogs object");
            assertFalse(logNote.get("params").get("result").get("removed").asBoolean(true));

            ws.sendText(req(16, "eth_unsubscribe", "[\"" + noneId + "\"]"), true).join();
            assertTrue(next(inbox).get("result").asBoolean());
            assertTrue(notes.stream().noneMatch(n -> n.contains(noneId)), () -> "nothing for the non-matching filter: " + notes);
        } finally {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
        }
        waitFor(() -> server.connectionCount() == 0, "closed");
    }

    private String deploy(WebSocket ws, BlockingQueue<String> inbox) throws Exception {
        byte[] raw = TestTxs.legacy(OWNER, CHAIN_ID, 0, GWEI, 200_000, null, BigInteger.ZERO, "0x" + TestContract.INIT);
        ws.sendText(req(1, "eth_sendRawTransaction", "[\"" + Numeric.toHexString(raw) + "\"]"), true).join();
        String hash = next(inbox).get("result").asText();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            ws.sendText(req(2, "eth_getTransactionReceipt", "[\"" + hash + "\"]"), true).join();
            JsonNode r = next(inbox).get("result");
            if (!r.isNull()) return r.get("contractAddress").asText();
            Thread.sleep(10);
        }
        return fail("no receipt");
    }

    private static String req(int id, String method, String params) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}";
    }

    private static JsonNode next(BlockingQueue<String> inbox) throws Exception {
        String s = inbox.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(s, "no message within " + TIMEOUT);
        return JSON.readTree(s);
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        WebSocketRpcServerTest.waitFor(condition, what);
    }
}
