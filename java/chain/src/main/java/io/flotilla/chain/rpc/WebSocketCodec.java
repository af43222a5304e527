package io.flotilla.chain.rpc;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The server side of RFC 6455 (WebSocket), only what a JSON-RPC endpoint needs: the opening handshake, reading
 * masked client frames into messages (fragmentation, interleaved control frames, size limit, UTF-8 check) and
 * writing unmasked server frames. No extensions are negotiated, so the reserved bits must be zero.
 */
final class WebSocketCodec {
    static final int OP_CONTINUATION = 0x0;
    static final int OP_TEXT = 0x1;
    static final int OP_BINARY = 0x2;
    static final int OP_CLOSE = 0x8;
    static final int OP_PING = 0x9;
    static final int OP_PONG = 0xA;

    static final int CLOSE_NORMAL = 1000;
    static final int CLOSE_GOING_AWAY = 1001;
    static final int CLOSE_PROTOCOL_ERROR = 1002;
    static final int CLOSE_UNSUPPORTED_DATA = 1003;
    /** Received when the peer's close frame has no code; never sent. */
    static final int CLOSE_NO_STATUS = 1005;
    static final int CLOSE_INVALID_PAYLOAD = 1007;
    static final int CLOSE_MESSAGE_TOO_BIG = 1009;
    static final int CLOSE_INTERNAL_ERROR = 1011;

    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final int MAX_HEADER_COUNT = 100;

    private WebSocketCodec() {
    }

    // ---- handshake ----

    /** The opening request: request line and headers (names lower-cased, repeated headers joined with ", "). */
    record HandshakeRequest(String method, String target, String version, Map<String, String> headers) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Refusal of an opening handshake: the HTTP status to answer with and why. */
    static final class HandshakeException extends IOException {
        private final int status;

        HandshakeException(int status, String message) {
            super(message, null);
            this.status = status;
        }

        int status() {
            return status;
        }
    }

    /** Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(sha1(key + GUID)). */
    static String acceptKey(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by every JDK", e);
        }
    }

    /**
     * Reads the request line and headers (up to the blank line) without reading further, so frames a client sends
     * right behind its handshake stay in the stream. At most {@code maxBytes} are read.
     */
    static HandshakeRequest readRequest(InputStream in, int maxBytes) throws IOException {
        int[] budget = {maxBytes};
        String requestLine = readLine(in, budget);
        if (requestLine == null) throw new EOFException("connection closed before the handshake");
        String[] parts = requestLine.split(" ");
        if (parts.length != 3 || !parts[2].startsWith("HTTP/")) throw new HandshakeException(400, "malformed request line");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int count = 0; ; count++) {
            String line = readLine(in, budget);
            if (line == null) throw new EOFException("connection closed inside the handshake");
            if (line.isEmpty()) break;
            if (count >= MAX_HEADER_COUNT) throw new HandshakeException(431, "too many headers");
            int colon = line.indexOf(':');
            if (colon <= 0) throw new HandshakeException(400, "malformed header line");
            String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            headers.merge(name, value, (a, b) -> a + ", " + b);
        }
        return new HandshakeRequest(parts[0], parts[1], parts[2], headers);
    }

    /** One line up to CRLF (a bare LF is tolerated); null at end of stream before any byte. */
    private static String readLine(InputStream in, int[] budget) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (line.size() == 0) return null;
                throw new EOFException("connection closed inside the handshake");
            }
            if (--budget[0] < 0) throw new HandshakeException(431, "request header too large");
            if (b == '\n') break;
            line.write(b);
        }
        byte[] bytes = line.toByteArray();
        int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
    }

    /**
     * Checks an opening request (RFC 6455 section 4.2.1) and returns the Sec-WebSocket-Accept value to answer with.
     *
     * @throws HandshakeException with 405, 400 or 426 (wrong version or not an upgrade) when it is not acceptable
     */
    static String accept(HandshakeRequest req) throws HandshakeException {
        if (!req.method().equals("GET")) throw new HandshakeException(405, "only GET with Upgrade: websocket is served here");
        if (!req.version().equals("HTTP/1.1")) throw new HandshakeException(400, "HTTP/1.1 required");
        if (req.header("host") == null) throw new HandshakeException(400, "missing Host header");
        if (!hasToken(req.header("upgrade"), "websocket")) throw new HandshakeException(426, "this endpoint speaks WebSocket only (Upgrade: websocket)");
        if (!hasToken(req.header("connection"), "upgrade")) throw new HandshakeException(400, "Connection header must include Upgrade");
        if (!"13".equals(req.header("sec-websocket-version"))) throw new HandshakeException(426, "unsupported Sec-WebSocket-Version (13 required)");
        String key = req.header("sec-websocket-key");
        byte[] nonce;
        try {
            nonce = key == null ? null : Base64.getDecoder().decode(key);
        } catch (IllegalArgumentException e) {
            nonce = null;
        }
        if (nonce == null || nonce.length != 16) throw new HandshakeException(400, "Sec-WebSocket-Key must be 16 bytes in base64");
        return acceptKey(key);
    }

    private static boolean hasToken(String header, String token) {
        if (header == null) return false;
        for (String t : header.split(",")) {
            if (t.strip().equalsIgnoreCase(token)) return true;
        }
        return false;
    }

    static byte[] switchingProtocols(String accept) {
        return ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** A plain-text HTTP error answer to a refused handshake; the connection is closed after it. */
    static byte[] refusal(int status, String message) {
        String reason = switch (status) {
            case 400 -> "Bad Request";
            case 405 -> "Method Not Allowed";
            case 426 -> "Upgrade Required";
            case 431 -> "Request Header Fields Too Large";
            case 503 -> "Service Unavailable";
            default -> "Error";
        };
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        String extra = status == 426 ? "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n" : "";
        String head = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n" + extra + "\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[h.length + body.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(body, 0, out, h.length, body.length);
        return out;
    }

    // ---- frames ----

    /** An unmasked, unfragmented server frame. */
    static byte[] frame(int opcode, byte[] payload) {
        int len = payload.length;
        int header = len < 126 ? 2 : len <= 0xFFFF ? 4 : 10;
        byte[] out = new byte[header + len];
        out[0] = (byte) (0x80 | opcode);
        if (len < 126) {
            out[1] = (byte) len;
        } else if (len <= 0xFFFF) {
            out[1] = 126;
            out[2] = (byte) (len >>> 8);
            out[3] = (byte) len;
        } else {
            out[1] = 127;
            long l = len;
            for (int i = 0; i < 8; i++) out[2 + i] = (byte) (l >>> (56 - 8 * i));
        }
        System.arraycopy(payload, 0, out, header, len);
        return out;
    }

    static byte[] text(String s) {
        return frame(OP_TEXT, s.getBytes(StandardCharsets.UTF_8));
    }

    /** A close frame with a code and a reason (cut to fit the 125-byte control payload). */
    static byte[] closeFrame(int code, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        int len = Math.min(r.length, 123);
        while (len > 0 && len < r.length && (r[len] & 0xC0) == 0x80) len--; // do not split a UTF-8 sequence
        byte[] payload = new byte[2 + len];
        payload[0] = (byte) (code >>> 8);
        payload[1] = (byte) code;
        System.arraycopy(r, 0, payload, 2, len);
        return frame(OP_CLOSE, payload);
    }

    static boolean isCloseFrame(byte[] frame) {
        return frame.length > 0 && (frame[0] & 0x0F) == OP_CLOSE;
    }

    /** Codes a peer may put in a close frame (RFC 6455 7.4 and the IANA registry); 1005, 1006, 1015 never go on the wire. */
    static boolean validCloseCode(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }

    /** What a client sent: a whole text message or a control frame. */
    sealed interface Message {
    }

    record Text(byte[] utf8) implements Message {
    }

    record Ping(byte[] payload) implements Message {
    }

    record Pong(byte[] payload) implements Message {
    }

    /** {@code code} is {@link #CLOSE_NO_STATUS} when the frame carried none. */
    record Close(int code, String reason) implements Message {
    }

    /** A violation that fails the connection with {@code code} (1002, 1003, 1007 or 1009). */
    static final class ProtocolException extends IOException {
        private final int code;

        ProtocolException(int code, String message) {
            super(message, null);
            this.code = code;
        }

        int code() {
            return code;
        }
    }

    /** Reads client frames and reassembles fragmented messages; not thread-safe (one reader per connection). */
    static final class Reader {
        private final InputStream in;
        private final int maxMessageBytes;
        private ByteArrayOutputStream partial;
        private long partialSize;

        Reader(InputStream in, int maxMessageBytes) {
            this.in = in;
            this.maxMessageBytes = maxMessageBytes;
        }

        /** The next message or control frame; null when the stream ends cleanly between frames. */
        Message next() throws IOException {
            while (true) {
                int b0 = in.read();
                if (b0 < 0) {
                    if (partial != null) throw new EOFException("connection closed inside a fragmented message");
                    return null;
                }
                int b1 = readByte();
                boolean fin = (b0 & 0x80) != 0;
                int opcode = b0 & 0x0F;
                if ((b0 & 0x70) != 0) throw protocol("reserved bits set without a negotiated extension");
                if (opcode > OP_BINARY && opcode < OP_CLOSE || opcode > OP_PONG) throw protocol("unknown opcode " + opcode);
                if ((b1 & 0x80) == 0) throw protocol("client frames must be masked");
                long len = b1 & 0x7F;
                if (len == 126) {
                    len = (long) readByte() << 8 | readByte();
                } else if (len == 127) {
                    len = 0;
                    for (int i = 0; i < 8; i++) len = len << 8 | readByte();
                    if (len < 0) throw protocol("payload length has the most significant bit set");
                }
                boolean control = opcode >= OP_CLOSE;
                if (control) {
                    if (!fin) throw protocol("fragmented control frame");
                    if (len > 125) throw protocol("control frame payload over 125 bytes");
                } else {
                    if (opcode == OP_CONTINUATION && partial == null) throw protocol("continuation frame without a message to continue");
                    if (opcode != OP_CONTINUATION && partial != null) throw protocol("new message inside a fragmented message");
                    if (opcode == OP_BINARY) throw new ProtocolException(CLOSE_UNSUPPORTED_DATA, "binary messages are not supported: send JSON-RPC as text");
                    if (partialSize + len > maxMessageBytes) {
                        throw new ProtocolException(CLOSE_MESSAGE_TOO_BIG, "message larger than " + maxMessageBytes + " bytes");
                    }
                }
                byte[] mask = in.readNBytes(4);
                if (mask.length < 4) throw new EOFException("connection closed inside a frame");
                byte[] payload = in.readNBytes((int) len);
                if (payload.length < len) throw new EOFException("connection closed inside a frame");
                for (int i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
                switch (opcode) {
                    case OP_CLOSE -> {
                        return close(payload);
                    }
                    case OP_PING -> {
                        return new Ping(payload);
                    }
                    case OP_PONG -> {
                        return new Pong(payload);
                    }
                    default -> {
                    }
                }
                if (partial == null) partial = new ByteArrayOutputStream((int) Math.min(len, 1 << 16));
                partial.write(payload);
                partialSize += len;
                if (!fin) continue;
                byte[] message = partial.toByteArray();
                partial = null;
                partialSize = 0;
                if (!validUtf8(message)) throw new ProtocolException(CLOSE_INVALID_PAYLOAD, "text message is not valid UTF-8");
                return new Text(message);
            }
        }

        private static Close close(byte[] payload) throws ProtocolException {
            if (payload.length == 0) return new Close(CLOSE_NO_STATUS, "");
            if (payload.length == 1) throw protocol("close frame payload of one byte");
            int code = (payload[0] & 0xFF) << 8 | (payload[1] & 0xFF);
            if (!validCloseCode(code)) throw protocol("invalid close code " + code);
            byte[] reason = java.util.Arrays.copyOfRange(payload, 2, payload.length);
            if (!validUtf8(reason)) throw new ProtocolException(CLOSE_INVALID_PAYLOAD, "close reason is not valid UTF-8");
            return new Close(code, new String(reason, StandardCharsets.UTF_8));
        }

        private int readByte() throws IOException {
            int b = in.read();
            if (b < 0) throw new EOFException("connection closed inside a frame header");
            return b;
        }

        private static ProtocolException protocol(String message) {
            return new ProtocolException(CLOSE_PROTOCOL_ERROR, message);
        }
    }

    static boolean validUtf8(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
