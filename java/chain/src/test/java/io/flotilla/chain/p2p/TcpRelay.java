package io.flotilla.chain.p2p;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on loopback between two peers: records what passes, can flip a bit of the next chunk, and can cut the
 * link (closing its connections and refusing new ones) and heal it again, to partition real sockets in tests.
 */
public final class TcpRelay implements AutoCloseable {
    private final ServerSocket server;
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
    private final ByteArrayOutputStream seenForward = new ByteArrayOutputStream();
    private final ByteArrayOutputStream seenBackward = new ByteArrayOutputStream();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean corrupt;
    private volatile boolean cut;
    private volatile int connections;

    public TcpRelay(InetAddress bind, InetSocketAddress target) throws IOException {
        this.server = new ServerSocket(0, 50, bind);
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket in = server.accept();
                    if (cut) {
                        in.close();
                        continue;
                    }
                    Socket out = new Socket(target.getAddress(), target.getPort());
                    open.add(in);
                    open.add(out);
                    connections++;
                    Thread.ofVirtual().start(() -> pump(in, out, true));
                    Thread.ofVirtual().start(() -> pump(out, in, false));
                } catch (IOException e) {
                    if (server.isClosed()) return;
                }
            }
        });
    }

    public TcpRelay(InetSocketAddress target) throws IOException {
        this(InetAddress.getLoopbackAddress(), target);
    }

    public InetSocketAddress endpoint() {
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    public int port() {
        return server.getLocalPort();
    }

    public int connections() {
        return connections;
    }

    public synchronized byte[] bytes() {
        return seen.toByteArray();
    }

    /** What the dialing side sent, over every connection so far. */
    public synchronized byte[] forwardBytes() {
        return seenForward.toByteArray();
    }

    /** What the dialed side sent, over every connection so far. */
    public synchronized byte[] backwardBytes() {
        return seenBackward.toByteArray();
    }

    /** Flips a bit in every chunk sent towards the target, on every connection, until {@link #stopCorrupting()}. */
    public void corruptNext() {
        corrupt = true;
    }

    public void stopCorrupting() {
        corrupt = false;
    }

    /** Drops the link: open connections are closed, new ones refused until {@link #heal()}. */
    public void cut() {
        cut = true;
        for (Socket s : open) closeQuietly(s);
        open.clear();
    }

    public void heal() {
        cut = false;
    }

    private void pump(Socket from, Socket to, boolean forward) {
        byte[] buffer = new byte[8192];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                synchronized (this) {
                    seen.write(buffer, 0, n);
                    (forward ? seenForward : seenBackward).write(buffer, 0, n);
                }
                if (forward && corrupt && n > 8) {
                    buffer[n - 1] ^= 0x01;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // the other side closed, or the link was cut
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // best effort
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        cut();
    }
}
