package io.flotilla.chain.rpc;

import static io.flotilla.chain.rpc.WebSocketCodec.OP_BINARY;
import static io.flotilla.chain.rpc.WebSocketCodec.OP_CLOSE;
import static io.flotilla.chain.rpc.WebSocketCodec.OP_CONTINUATION;
import static io.flotilla.chain.rpc.WebSocketCodec.OP_PING;
import static io.flotilla.chain.rpc.WebSocketCodec.OP_PONG;
import static io.flotilla.chain.rpc.WebSocketCodec.OP_TEXT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** RFC 6455 edge cases of the server-side codec, without sockets. */
class WebSocketCodecTest {

    /** A client frame: masked with a fixed key, {@code fin} and {@code rsv} as given; {@code lengthBytes} forces 7/16/64-bit lengths. */
    static byte[] clientFrame(boolean fin, int rsv, int opcode, byte[] payload, int lengthBytes, boolean masked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((fin ? 0x80 : 0) | rsv << 4 | opcode);
        int maskBit = masked ? 0x80 : 0;
        long len = payload.length;
        if (lengthBytes == 0) {
            out.write(maskBit | (int) len);
        } else if (lengthBytes == 2) {
            out.write(maskBit | 126);
            out.write((int) (len >>> 8));
            out.write((int) len);
        } else {
            out.write(maskBit | 127);
            for (int i = 7; i >= 0; i--) out.write((int) (len >>> (8 * i)));
        }
        byte[] key = {0x37, (byte) 0xfa, 0x21, 0x3d};
        if (masked) out.writeBytes(key);
        for (int i = 0; i < payload.length; i++) out.write(masked ? payload[i] ^ key[i & 3] : payload[i]);
        return out.toByteArray();
    }

    static byte[] clientFrame(boolean fin, int opcode, byte[] payload) {
        int lengthBytes = payload.length < 126 ? 0 : payload.length <= 0xFFFF ? 2 : 8;
        return clientFrame(fin, 0, opcode, payload, lengthBytes, true);
    }

    static byte[] text(String s) {
        return clientFrame(true, OP_TEXT, s.getBytes(StandardCharsets.UTF_8));
    }

    private static WebSocketCodec.Reader reader(int max, byte[]... frames) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] f : frames) all.writeBytes(f);
        return new WebSocketCodec.Reader(new ByteArrayInputStream(all.toByteArray()), max);
    }

    private static String textOf(WebSocketCodec.Message m) {
        return new String(assertInstanceOf(WebSocketCodec.Text.class, m).utf8(), StandardCharsets.UTF_8);
    }

    private static int failure(WebSocketCodec.Reader r) {
        return assertThrows(WebSocketCodec.ProtocolException.class, () -> {
            while (true) {
                if (r.next() == null) return;
            }
        }).code();
    }

    @Test
    void acceptKeyIsTheRfcExample() {
        assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketCodec.acceptKey("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    @Test
    void handshakeChecksMethodUpgradeVersionAndKey() throws IOException {
        String ok = "GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketCodec.accept(parse(ok)));
        assertEquals(405, refused(ok.replace("GET", "POST")));
        assertEquals(426, refused(ok.replace("Upgrade: WebSocket\r\n", "")));
        assertEquals(400, refused(ok.replace("keep-alive, Upgrade", "keep-alive")));
        assertEquals(426, refused(ok.replace("Version: 13", "Version: 8")));
        assertEquals(400, refused(ok.replace("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ=")));          // 5 bytes, not 16
        assertEquals(400, refused(ok.replace("dGhlIHNhbXBsZSBub25jZQ==", "not base64!")));
        assertEquals(400, refused(ok.replace("Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key")));
        assertEquals(400, refused(ok.replace("Host: 127.0.0.1\r\n", "")));
        assertEquals(400, refused(ok.replace("HTTP/1.1", "HTTP/1.0")));
        assertEquals(400, refused("GARBAGE\r\n\r\n"));
        // Frames sent right behind the handshake stay in the stream.
        ByteArrayInputStream in = new ByteArrayInputStream((ok + "tail").getBytes(StandardCharsets.ISO_8859_1));
        WebSocketCodec.readRequest(in, 16 << 10);
        assertEquals("tail", new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
        // Oversized headers are refused with 431 before reading on.
        String big = "GET / HTTP/1.1\r\nX-Filler: " + "a".repeat(20_000) + "\r\n\r\n";
        assertEquals(431, assertThrows(WebSocketCodec.HandshakeException.class,
                () -> WebSocketCodec.readRequest(new ByteArrayInputStream(big.getBytes(StandardCharsets.ISO_8859_1)), 16 << 10)).status());
    }

    private static WebSocketCodec.HandshakeRequest parse(String s) throws IOException {
        return WebSocketCodec.readRequest(new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1)), 16 << 10);
    }

    private static int refused(String request) {
        return assertThrows(WebSocketCodec.HandshakeException.class, () -> WebSocketCodec.accept(parse(request))).status();
    }

    @Test
    void readsMaskedTextInEveryLengthEncoding() throws IOException {
        String small = "x".repeat(125);
        String medium = "y".repeat(65_535);
        String large = "z".repeat(70_000);
        WebSocketCodec.Reader r = reader(1 << 20, text(small), text(medium), text(large), text(""));
        assertEquals(small, textOf(r.next()));
        assertEquals(medium, textOf(r.next()));
        assertEquals(large, textOf(r.next()));
        assertEquals("", textOf(r.next()));
        assertNull(r.next(), "clean end of stream between frames");
        // A 16-bit length may also carry a small payload (non-minimal encodings are tolerated).
        assertEquals("ab", textOf(reader(100, clientFrame(true, 0, OP_TEXT, "ab".getBytes(StandardCharsets.UTF_8), 2, true)).next()));
    }

    @Test
    void reassemblesFragmentsWithControlFramesInBetween() throws IOException {
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8); // a UTF-8 sequence split across fragments is fine
        WebSocketCodec.Reader r = reader(1000,
                clientFrame(false, OP_TEXT, new byte[] {'a', euro[0]}),
                clientFrame(true, OP_PING, "p".getBytes(StandardCharsets.UTF_8)),
                clientFrame(false, OP_CONTINUATION, new byte[] {euro[1], euro[2]}),
                clientFrame(true, OP_PONG, new byte[0]),
                clientFrame(true, OP_CONTINUATION, "b".getBytes(StandardCharsets.UTF_8)));
        assertArrayEquals("p".getBytes(StandardCharsets.UTF_8), assertInstanceOf(WebSocketCodec.Ping.class, r.next()).payload());
        assertInstanceOf(WebSocketCodec.Pong.class, r.next());
        assertEquals("a€b", textOf(r.next()));
    }

    @Test
    void protocolViolationsFailWith1002() {
        byte[] p = "{}".getBytes(StandardCharsets.UTF_8);
        assertEquals(1002, failure(reader(100, clientFrame(true, 0, OP_TEXT, p, 0, false))), "unmasked client frame");
        assertEquals(1002, failure(reader(100, clientFrame(true, 4, OP_TEXT, p, 0, true))), "RSV1 without extension");
        assertEquals(1002, failure(reader(100, clientFrame(true, 0, 3, p, 0, true))), "reserved data opcode");
        assertEquals(1002, failure(reader(100, clientFrame(true, 0, 0xB, p, 0, true))), "reserved control opcode");
        assertEquals(1002, failure(reader(100, clientFrame(true, OP_CONTINUATION, p))), "continuation without start");
        assertEquals(1002, failure(reader(100, clientFrame(false, OP_TEXT, p), text("again"))), "new message inside a fragmented one");
        assertEquals(1002, failure(reader(100, clientFrame(false, OP_PING, p))), "fragmented control frame");
        assertEquals(1002, failure(reader(1000, clientFrame(true, 0, OP_PING, new byte[126], 2, true))), "control frame over 125 bytes");
        byte[] hugeLength = {(byte) 0x81, (byte) 0xFF, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0};
        assertEquals(1002, failure(reader(100, hugeLength)), "64-bit length with the top bit set");
        assertEquals(1002, failure(reader(100, clientFrame(true, OP_CLOSE, new byte[] {3}))), "close payload of one byte");
        for (int code : new int[] {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
            assertEquals(1002, failure(reader(100, clientFrame(true, OP_CLOSE, new byte[] {(byte) (code >> 8), (byte) code}))), "close code " + code);
        }
    }

    @Test
    void oversizedMessagesFailWith1009BeforeTheirPayloadIsRead() {
        assertEquals(1009, failure(reader(10, text("12345678901"))));
        // Across fragments: the sum counts.
        assertEquals(1009, failure(reader(10, clientFrame(false, OP_TEXT, new byte[6]), clientFrame(true, OP_CONTINUATION, new byte[6]))));
        // A header announcing 1 GiB fails at once, without the payload on the wire.
        byte[] header = {(byte) 0x81, (byte) 0xFF, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4};
        assertEquals(1009, failure(reader(1 << 20, header)));
    }

    @Test
    void invalidUtf8FailsWith1007AndBinaryWith1003() {
        assertEquals(1007, failure(reader(100, clientFrame(true, OP_TEXT, new byte[] {'a', (byte) 0xC3}))));
        assertEquals(1007, failure(reader(100, clientFrame(true, OP_TEXT, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})))); // surrogate
        assertEquals(1007, failure(reader(100, clientFrame(true, OP_TEXT, new byte[] {(byte) 0xC0, (byte) 0xAF}))));              // overlong
        assertEquals(1007, failure(reader(100, clientFrame(true, OP_CLOSE, new byte[] {0x03, (byte) 0xE8, (byte) 0xFF}))));
        assertEquals(1003, failure(reader(100, clientFrame(true, OP_BINARY, new byte[] {1}))));
    }

    @Test
    void closeFramesCarryCodeAndReason() throws IOException {
        var c = assertInstanceOf(WebSocketCodec.Close.class, reader(100, clientFrame(true, OP_CLOSE, new byte[0])).next());
        assertEquals(WebSocketCodec.CLOSE_NO_STATUS, c.code());
        byte[] payload = {0x0F, (byte) 0xA0, 'b', 'y', 'e'}; // 4000, an application code
        c = assertInstanceOf(WebSocketCodec.Close.class, reader(100, clientFrame(true, OP_CLOSE, payload)).next());
        assertEquals(4000, c.code());
        assertEquals("bye", c.reason());
        // The server's close frame: code, reason cut to the control-frame limit without splitting a character.
        byte[] f = WebSocketCodec.closeFrame(1009, "é".repeat(100));
        assertEquals((byte) 0x88, f[0]);
        int len = f[1];
        assertEquals(2 + 122, len, "61 two-byte characters fit in 123 bytes");
        assertEquals(1009, (f[2] & 0xFF) << 8 | (f[3] & 0xFF));
        assertEquals("é".repeat(61), new String(Arrays.copyOfRange(f, 4, f.length), StandardCharsets.UTF_8));
    }

    @Test
    void truncatedFramesAreEndOfStream() {
        byte[] f = text("hello");
        assertThrows(EOFException.class, () -> reader(100, Arrays.copyOf(f, f.length - 1)).next());
        assertThrows(EOFException.class, () -> reader(100, Arrays.copyOf(f, 1)).next());
        assertThrows(EOFException.class, () -> reader(100, clientFrame(false, OP_TEXT, new byte[] {'a'})).next());
    }

    @Test
    void serverFramesAreUnmaskedWithMinimalLengths() {
        assertArrayEquals(new byte[] {(byte) 0x81, 2, 'h', 'i'}, WebSocketCodec.text("hi"));
        byte[] medium = WebSocketCodec.frame(OP_TEXT, new byte[300]);
        assertEquals(126, medium[1]);
        assertEquals(300, (medium[2] & 0xFF) << 8 | (medium[3] & 0xFF));
        assertEquals(304, medium.length);
        byte[] large = WebSocketCodec.frame(OP_TEXT, new byte[70_000]);
        assertEquals(127, large[1]);
        assertEquals(70_010, large.length);
        assertEquals(70_000, (large[7] & 0xFF) << 16 | (large[8] & 0xFF) << 8 | (large[9] & 0xFF));
    }
}
