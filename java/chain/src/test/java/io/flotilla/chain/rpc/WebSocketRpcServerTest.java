package io.flotilla.chain.rpc;

import static io.flotilla.chain.rpc.WebSocketCodecTest.clientFrame;
import static io.flotilla.chain.tx.TestTxs.CHAIN_ID;
import static io.flotilla.chain.tx.TestTxs.ETHER;
import static io.flotilla.chain.tx.TestTxs.GWEI;
import static io.flotilla.chain.tx.TestTxs.OWNER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.DevChain;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The WebSocket endpoint over real loopback sockets, spoken to byte by byte: handshake, framing, JSON-RPC, limits. */
class WebSocketRpcServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Emits LOG0 over 64 KiB of memory until less than 600,000 gas is left: megabytes of notifications per block. */
    private static final Address LOG_SPAMMER = Address.fromHex("0x000000000000000000000000000000000000c0de");
    private static final String SPAM_CODE = "5b" + "6201000060" + "00a0" + "620927c05a11600057" + "00";

    @TempDir
    Path dataDir;

    private DevChain chain;
    private WebSocketRpcServer server;

    private WebSocketRpcServer start(WebSocketConfig config) throws IOException {
        Map<Address, Genesis.GenesisAccount> alloc = Map.of(
                TestTxs.address(OWNER), Genesis.GenesisAccount.funded(ETHER.multiply(BigInteger.valueOf(100))),
                LOG_SPAMMER, new Genesis.GenesisAccount(BigInteger.ZERO, 1, Hex.decode("0x" + SPAM_CODE), Map.of()));
        Genesis genesis = new Genesis(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, GWEI), 0, Address.of(new byte[20]), new byte[0], alloc);
        chain = DevChain.open(dataDir, genesis, Address.fromHex("0x00000000000000000000000000000000000000b0"));
        EthApi api = new EthApi(chain.chain(), chain.mempool(), chain.submission(), "test");
        server = new WebSocketRpcServer(config, api, chain.chain()).start();
        return server;
    }

    private WebSocketRpcServer start() throws IOException {
        return start(WebSocketConfig.defaults("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
        if (chain != null) chain.close();
    }

    /** A minimal client that writes masked frames and reads the server's frames as they come. */
    static final class RawClient implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        RawClient(int port, int receiveBuffer) throws IOException {
            socket = new Socket();
            if (receiveBuffer > 0) socket.setReceiveBufferSize(receiveBuffer);
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(10_000);
            in = new BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }

        static RawClient open(int port) throws IOException {
            RawClient c = new RawClient(port, 0);
            String status = c.handshake("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            assertTrue(status.startsWith("HTTP/1.1 101 "), status);
            assertTrue(c.lastHeaders.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), c.lastHeaders);
            return c;
        }

        String lastHeaders = "";

        /** Sends a raw request, returns the status line (headers in {@link #lastHeaders}). */
        String handshake(String request) throws IOException {
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) throw new EOFException("no handshake answer: " + head);
                head.append((char) b);
            }
            lastHeaders = head.toString();
            return head.substring(0, head.indexOf("\r\n"));
        }

        void send(byte[] frame) throws IOException {
            out.write(frame);
            out.flush();
        }

        void sendText(String s) throws IOException {
            send(WebSocketCodecTest.text(s));
        }

        /** The next server frame as {opcode, payload}. */
        Frame next() throws IOException {
            int b0 = in.read();
            if (b0 < 0) throw new EOFException("server closed the connection");
            int b1 = in.read();
            assertEquals(0, b1 & 0x80, "server frames are never masked");
            assertTrue((b0 & 0x80) != 0, "server frames are not fragmented");
            long len = b1 & 0x7F;
            if (len == 126) len = in.read() << 8 | in.read();
            else if (len == 127) {
                len = 0;
                for (int i = 0; i < 8; i++) len = len << 8 | in.read();
            }
            byte[] payload = in.readNBytes((int) len);
            return new Frame(b0 & 0x0F, payload);
        }

        JsonNode nextJson() throws IOException {
            Frame f = next();
            assertEquals(WebSocketCodec.OP_TEXT, f.opcode(), () -> "expected a text frame, got opcode " + f.opcode());
            return JSON.readTree(f.payload());
        }

        JsonNode call(String request) throws IOException {
            sendText(request);
            return nextJson();
        }

        /** True when the server closed TCP (after any frames still unread). */
        boolean closedByServer() throws IOException {
            try {
                while (true) {
                    int b = in.read();
                    if (b < 0) return true;
                }
            } catch (SocketException e) {
                return true; // reset
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    record Frame(int opcode, byte[] payload) {
        int closeCode() {
            assertEquals(WebSocketCodec.OP_CLOSE, opcode, "expected a close frame");
            return (payload[0] & 0xFF) << 8 | (payload[1] & 0xFF);
        }
    }

    private static String req(int id, String method, String params) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}";
    }

    private static int errorCode(JsonNode response) {
        assertTrue(response.has("error"), () -> "expected an error: " + response);
        return response.get("error").get("code").asInt();
    }

    @Test
    void servesTheHttpMethodTableWithStandardErrors() throws Exception {
        start();
        try (RawClient c = RawClient.open(server.port())) {
            JsonNode r = c.call(req(1, "eth_chainId", "[]"));
            assertEquals("0x" + Long.toHexString(CHAIN_ID), r.get("result").asText());
            assertEquals(1, r.get("id").asInt());
            assertEquals(-32700, errorCode(c.call("{\"jsonrpc\":\"2.0\",")));
            assertEquals(-32600, errorCode(c.call("{\"jsonrpc\":\"2.0\",\"id\":2}")));
            assertEquals(-32600, errorCode(c.call("[]")));
            assertEquals(-32601, errorCode(c.call(req(3, "eth_nope", "[]"))));
            assertEquals(-32602, errorCode(c.call(req(4, "eth_getBalance", "[\"0x12\",\"latest\"]"))));
            assertEquals(-32602, errorCode(c.call(req(5, "eth_subscribe", "[\"syncing\"]"))));
            assertEquals(-32602, errorCode(c.call(req(6, "eth_subscribe", "[]"))));
            assertEquals(-32602, errorCode(c.call(req(7, "eth_subscribe", "[\"logs\",{\"address\":\"0x1234\"}]"))));
            assertEquals(-32602, errorCode(c.call(req(8, "eth_subscribe", "[\"logs\",{\"topics\":\"0x00\"}]"))));
            JsonNode batch = c.call("[" + req(10, "eth_blockNumber", "[]") + "," + req(11, "net_version", "[]") + "]");
            assertEquals(2, batch.size());
            assertEquals("0x0", batch.get(0).get("result").asText());
            assertEquals(Long.toString(CHAIN_ID), batch.get(1).get("result").asText());
            // Notifications (no id) get no answer: the next frame answers the next request.
            c.sendText("{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[]}");
            assertEquals(12, c.call(req(12, "eth_unsubscribe", "[\"0x00\"]")).get("id").asInt());
            assertFalse(c.call(req(13, "eth_unsubscribe", "[\"0x1234\"]")).get("result").asBoolean(true), "unknown id");
        }
    }

    @Test
    void subscriptionsAreCappedAndUnsubscribeStopsNotifications() throws Exception {
        start(WebSocketConfig.defaults("127.0.0.1", 0).withMaxSubscriptions(2));
        try (RawClient c = RawClient.open(server.port())) {
            String a = c.call(req(1, "eth_subscribe", "[\"newHeads\"]")).get("result").asText();
            String b = c.call(req(2, "eth_subscribe", "[\"newHeads\"]")).get("result").asText();
            assertTrue(a.matches("0x[1-9a-f][0-9a-f]{0,31}"), a);
            assertNotEquals(a, b);
            JsonNode over = c.call(req(3, "eth_subscribe", "[\"logs\",{}]"));
            assertEquals(-32005, errorCode(over));
            assertTrue(over.get("error").get("message").asText().contains("max 2"));

            chain.produceBlock();
            JsonNode n1 = c.nextJson();
            JsonNode n2 = c.nextJson();
            assertEquals("eth_subscription", n1.get("method").asText());
            assertEquals(a, n1.get("params").get("subscription").asText());
            assertEquals(b, n2.get("params").get("subscription").asText());
            assertEquals("0x1", n1.get("params").get("result").get("number").asText());

            assertTrue(c.call(req(4, "eth_unsubscribe", "[\"" + a + "\"]")).get("result").asBoolean());
            assertFalse(c.call(req(5, "eth_unsubscribe", "[\"" + a + "\"]")).get("result").asBoolean(), "already gone");
            chain.produceBlock();
            // a's notification would come before b's for the same block: the next frame is b's.
            JsonNode n3 = c.nextJson();
            assertEquals(b, n3.get("params").get("subscription").asText());
            assertEquals("0x2", n3.get("params").get("result").get("number").asText());
            // The freed slot can be used again.
            assertTrue(c.call(req(6, "eth_subscribe", "[\"logs\",{}]")).has("result"));
        }
    }

    @Test
    void answersPingsAndCompletesTheCloseHandshake() throws Exception {
        start();
        try (RawClient c = RawClient.open(server.port())) {
            c.send(clientFrame(true, WebSocketCodec.OP_PING, "hello".getBytes(StandardCharsets.UTF_8)));
            Frame pong = c.next();
            assertEquals(WebSocketCodec.OP_PONG, pong.opcode());
            assertEquals("hello", new String(pong.payload(), StandardCharsets.UTF_8));
            // An unsolicited pong is ignored; a fragmented request is answered once complete.
            c.send(clientFrame(true, WebSocketCodec.OP_PONG, new byte[0]));
            byte[] r = req(1, "eth_blockNumber", "[]").getBytes(StandardCharsets.UTF_8);
            c.send(clientFrame(false, WebSocketCodec.OP_TEXT, java.util.Arrays.copyOfRange(r, 0, 10)));
            c.send(clientFrame(true, WebSocketCodec.OP_PING, new byte[0]));
            c.send(clientFrame(true, WebSocketCodec.OP_CONTINUATION, java.util.Arrays.copyOfRange(r, 10, r.length)));
            assertEquals(WebSocketCodec.OP_PONG, c.next().opcode());
            assertEquals("0x0", c.nextJson().get("result").asText());

            c.send(clientFrame(true, WebSocketCodec.OP_CLOSE, new byte[] {0x03, (byte) 0xE8, 'b', 'y', 'e'}));
            assertEquals(1000, c.next().closeCode(), "the server echoes the close code");
            assertTrue(c.closedByServer());
        }
        try (RawClient c = RawClient.open(server.port())) {
            c.send(clientFrame(true, WebSocketCodec.OP_CLOSE, new byte[0]));
            Frame f = c.next();
            assertEquals(WebSocketCodec.OP_CLOSE, f.opcode());
            assertEquals(0, f.payload().length, "a close without a code is answered without one");
            assertTrue(c.closedByServer());
        }
        waitFor(() -> server.connectionCount() == 0, "connections released");
    }

    @Test
    void failsTheConnectionOnOversizedMessagesAndProtocolErrors() throws Exception {
        start(WebSocketConfig.defaults("127.0.0.1", 0).withMaxMessageBytes(1024));
        try (RawClient c = RawClient.open(server.port())) {
            c.sendText(req(1, "web3_sha3", "[\"0x" + "ab".repeat(600) + "\"]"));
            assertEquals(1009, c.next().closeCode());
            assertTrue(c.closedByServer());
        }
        try (RawClient c = RawClient.open(server.port())) {
            c.send(clientFrame(true, 0, WebSocketCodec.OP_TEXT, "{}".getBytes(StandardCharsets.UTF_8), 0, false));
            assertEquals(1002, c.next().closeCode(), "unmasked frame");
            assertTrue(c.closedByServer());
        }
        try (RawClient c = RawClient.open(server.port())) {
            c.send(clientFrame(true, WebSocketCodec.OP_TEXT, new byte[] {'"', (byte) 0xFF, '"'}));
            assertEquals(1007, c.next().closeCode(), "invalid UTF-8");
            assertTrue(c.closedByServer());
        }
        try (RawClient c = RawClient.open(server.port())) {
            c.send(clientFrame(true, WebSocketCodec.OP_BINARY, new byte[] {1, 2}));
            assertEquals(1003, c.next().closeCode(), "binary message");
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void refusesBadHandshakesAndConnectionsBeyondTheLimit() throws Exception {
        start(WebSocketConfig.defaults("127.0.0.1", 0).withMaxConnections(2));
        try (RawClient c = new RawClient(server.port(), 0)) {
            String status = c.handshake("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertTrue(status.startsWith("HTTP/1.1 426 "), status);
            assertTrue(c.lastHeaders.contains("Sec-WebSocket-Version: 13"));
        }
        try (RawClient c = new RawClient(server.port(), 0)) {
            String status = c.handshake("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n");
            assertTrue(status.startsWith("HTTP/1.1 400 "), status);
        }
        waitFor(() -> server.connectionCount() == 0, "refused handshakes release their slot");
        try (RawClient a = RawClient.open(server.port()); RawClient b = RawClient.open(server.port());
                RawClient c = new RawClient(server.port(), 0)) {
            String status = c.handshake("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            assertTrue(status.startsWith("HTTP/1.1 503 "), status);
            assertEquals("0x0", a.call(req(1, "eth_blockNumber", "[]")).get("result").asText());
        }
    }

    @Test
    void dropsAClientThatDoesNotReadItsNotifications() throws Exception {
        start(WebSocketConfig.defaults("127.0.0.1", 0).withMaxQueuedBytes(256 << 10));
        try (RawClient slow = new RawClient(server.port(), 4096); RawClient fast = RawClient.open(server.port())) {
            String status = slow.handshake("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            assertTrue(status.startsWith("HTTP/1.1 101 "), status);
            assertTrue(slow.call(req(1, "eth_subscribe", "[\"logs\",{}]")).has("result"));
            assertTrue(fast.call(req(1, "eth_subscribe", "[\"newHeads\"]")).has("result"));
            // Each transaction fills a block with ~45 logs of 64 KiB: ~6 MB of notifications, more than the socket
            // buffers between server and the (not reading) client can hold.
            for (int nonce = 0; nonce < 3; nonce++) {
                byte[] raw = TestTxs.legacy(OWNER, CHAIN_ID, nonce, GWEI, 29_000_000, LOG_SPAMMER.toString(), BigInteger.ZERO, "");
                fast.sendText(req(10 + nonce, "eth_sendRawTransaction", "[\"" + Hex.encode(raw) + "\"]"));
                // The answer and the head notification of the block it lands in, in either order: the fast client keeps up.
                JsonNode one = fast.nextJson();
                JsonNode two = fast.nextJson();
                JsonNode answer = one.has("id") ? one : two;
                JsonNode note = one.has("id") ? two : one;
                assertTrue(answer.has("result"), answer::toString);
                assertEquals("eth_subscription", note.get("method").asText());
            }
            waitFor(() -> server.connectionCount() == 1, "the slow client is dropped, the fast one stays");
            assertEquals("0x3", fast.call(req(20, "eth_blockNumber", "[]")).get("result").asText());
            assertTrue(slow.closedByServer());
        }
    }

    @Test
    void closingTheServerSaysGoingAway() throws Exception {
        start();
        try (RawClient c = RawClient.open(server.port())) {
            Thread closer = Thread.ofVirtual().start(server::close);
            assertEquals(1001, c.next().closeCode());
            c.send(clientFrame(true, WebSocketCodec.OP_CLOSE, new byte[] {0x03, (byte) 0xE9}));
            assertTrue(c.closedByServer());
            closer.join(5_000);
            assertFalse(closer.isAlive());
        }
    }

    static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out waiting: " + what);
            Thread.sleep(10);
        }
    }
}
