package io.flotilla.chain.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * One keep-alive HTTP/1.1 connection that POSTs JSON: a few dozen lines instead of java.net.http's client, whose
 * per-request cost (about 1-2 ms of CPU here) would take CPU from the chain under test on a 2-core machine.
 * Understands Content-Length and chunked answers. Not thread-safe: one per thread.
 */
final class HttpConnection implements AutoCloseable {

    private final String host;
    private final int port;
    private final byte[] head;
    private Socket socket;
    private BufferedOutputStream out;
    private InputStream in;

    HttpConnection(URI uri) {
        this.host = uri.getHost();
        this.port = uri.getPort();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        this.head = ("POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nContent-Type: application/json\r\nContent-Length: ")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * POSTs {@code body} and returns the answer's body. {@code retry}: on a broken reused connection, send again
     * once on a new one (only for requests that may be repeated).
     */
    byte[] post(byte[] body, boolean retry) throws IOException {
        boolean reused = socket != null;
        try {
            return exchange(body);
        } catch (IOException e) {
            close();
            if (retry && reused) {
                return exchange(body);
            }
            throw e;
        }
    }

    private byte[] exchange(byte[] body) throws IOException {
        if (socket == null) {
            Socket s = new Socket();
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), 5_000);
            s.setSoTimeout(60_000);
            socket = s;
            out = new BufferedOutputStream(s.getOutputStream(), 16 * 1024);
            in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
        }
        out.write(head);
        out.write(Integer.toString(body.length).getBytes(StandardCharsets.US_ASCII));
        out.write('\r');
        out.write('\n');
        out.write('\r');
        out.write('\n');
        out.write(body);
        out.flush();
        String status = line();
        if (!status.startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP answer: " + status);
        }
        long length = -1;
        boolean chunked = false;
        boolean closeAfter = status.startsWith("HTTP/1.0");
        for (String h = line(); !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = h.substring(0, colon).trim();
            String value = h.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                length = Long.parseLong(value);
            } else if (name.equalsIgnoreCase("Transfer-Encoding") && value.toLowerCase().contains("chunked")) {
                chunked = true;
            } else if (name.equalsIgnoreCase("Connection")) {
                closeAfter = value.equalsIgnoreCase("close");
            }
        }
        byte[] answer;
        if (chunked) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                String size = line();
                int semi = size.indexOf(';');
                int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                if (n == 0) {
                    while (!line().isEmpty()) {
                        // trailers
                    }
                    break;
                }
                b.write(in.readNBytes(n));
                line();
            }
            answer = b.toByteArray();
        } else if (length >= 0) {
            answer = in.readNBytes((int) length);
            if (answer.length != length) {
                throw new EOFException("answer cut short");
            }
        } else {
            answer = in.readAllBytes();
            closeAfter = true;
        }
        if (!status.startsWith("HTTP/1.1 2") && !status.startsWith("HTTP/1.0 2") && answer.length == 0) {
            throw new IOException(status);
        }
        if (closeAfter) {
            close();
        }
        return answer;
    }

    private String line() throws IOException {
        StringBuilder b = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("connection closed");
            }
            if (c == '\n') {
                int n = b.length();
                return n > 0 && b.charAt(n - 1) == '\r' ? b.substring(0, n - 1) : b.toString();
            }
            b.append((char) c);
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing is best effort
            }
        }
        socket = null;
    }
}
