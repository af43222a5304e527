package io.flotilla.chain.p2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.types.Address;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The members of a chain talk over authenticated, encrypted connections on loopback; nobody else gets in. */
class PeerNetworkTest {

    private static final long CHAIN = 7;
    private final List<AutoCloseable> open = new ArrayList<>();

    private record Received(Address from, String text) {}

    private static NodeSigner signer(int i) {
        return new NodeSigner(BigInteger.valueOf(1_000_003L * (i + 1)));
    }

    private PeerNetwork start(NodeSigner s, List<Received> inbox, PeerLimits limits) throws IOException {
        PeerNetwork n = new PeerNetwork(s, CHAIN, new InetSocketAddress("127.0.0.1", 0), limits,
                (from, message) -> inbox.add(new Received(from, new String(message, StandardCharsets.UTF_8))));
        n.start();
        open.add(n);
        return n;
    }

    private static List<PeerNetwork.Peer> peers(PeerNetwork... nodes) {
        List<PeerNetwork.Peer> out = new ArrayList<>();
        for (PeerNetwork n : nodes) {
            out.add(new PeerNetwork.Peer(n.address(), new InetSocketAddress("127.0.0.1", n.port())));
        }
        return out;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(10);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    @Test
    void membersConnectAndEveryBroadcastReachesEveryOtherMemberInOrder() throws Exception {
        List<List<Received>> inboxes = List.of(new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>());
        PeerNetwork a = start(signer(0), inboxes.get(0), PeerLimits.defaults());
        PeerNetwork b = start(signer(1), inboxes.get(1), PeerLimits.defaults());
        PeerNetwork c = start(signer(2), inboxes.get(2), PeerLimits.defaults());
        for (PeerNetwork n : List.of(a, b, c)) {
            n.setMembers(peers(a, b, c));
        }
        await("a full mesh", () -> a.connectedPeers().size() == 2 && b.connectedPeers().size() == 2 && c.connectedPeers().size() == 2);
        for (int k = 0; k < 20; k++) {
            assertEquals(2, a.broadcast(("a-" + k).getBytes(StandardCharsets.UTF_8)));
        }
        await("20 messages at b and c", () -> inboxes.get(1).size() == 20 && inboxes.get(2).size() == 20);
        for (int k = 0; k < 20; k++) {
            assertEquals(new Received(a.address(), "a-" + k), inboxes.get(1).get(k));
        }
        assertTrue(b.send(c.address(), "direct".getBytes(StandardCharsets.UTF_8)));
        await("direct message", () -> inboxes.get(2).contains(new Received(b.address(), "direct")));
    }

    @Test
    void aNonMemberIsRefusedAndLeavingMembersAreDisconnected() throws Exception {
        // Order three keys by address: the stranger gets the lowest, so it is the one that dials.
        List<NodeSigner> keys = new ArrayList<>(List.of(signer(0), signer(1), signer(5)));
        keys.sort((x, y) -> x.address().compareTo(y.address()));
        PeerNetwork stranger = start(keys.get(0), new CopyOnWriteArrayList<>(), PeerLimits.defaults());
        PeerNetwork a = start(keys.get(1), new CopyOnWriteArrayList<>(), PeerLimits.defaults());
        PeerNetwork b = start(keys.get(2), new CopyOnWriteArrayList<>(), PeerLimits.defaults());
        a.setMembers(peers(a, b));
        b.setMembers(peers(a, b));
        stranger.setMembers(peers(a, stranger)); // it believes it belongs and dials a
        await("a refuses the stranger", () -> a.refusedHandshakes() > 0);
        await("a and b connected", () -> a.connectedPeers().contains(b.address()));
        assertFalse(a.connectedPeers().contains(stranger.address()));
        assertFalse(stranger.connectedPeers().contains(a.address()));

        a.setMembers(peers(a));
        await("b dropped after leaving the member set", () -> !a.connectedPeers().contains(b.address()));
    }

    @Test
    void theWireCarriesNoPlaintextAndATamperedFrameIsNeverDelivered() throws Exception {
        List<NodeSigner> keys = new ArrayList<>(List.of(signer(0), signer(1)));
        keys.sort((x, y) -> x.address().compareTo(y.address()));
        List<Received> inbox = new CopyOnWriteArrayList<>();
        PeerNetwork low = start(keys.get(0), new CopyOnWriteArrayList<>(), PeerLimits.defaults());
        PeerNetwork high = start(keys.get(1), inbox, PeerLimits.defaults());
        TcpRelay relay = new TcpRelay(new InetSocketAddress("127.0.0.1", high.port()));
        open.add(relay);
        // The lower address dials: point it at the relay in front of the higher one.
        low.setMembers(List.of(new PeerNetwork.Peer(high.address(), new InetSocketAddress("127.0.0.1", relay.port()))));
        high.setMembers(peers(low));
        await("connected through the relay", () -> low.connectedPeers().contains(high.address())
                && high.connectedPeers().contains(low.address()));
        String secret = "the-secret-payload-0123456789";
        assertTrue(low.send(high.address(), secret.getBytes(StandardCharsets.UTF_8)));
        await("delivered", () -> inbox.contains(new Received(low.address(), secret)));
        assertFalse(new String(relay.bytes(), StandardCharsets.ISO_8859_1).contains(secret), "plaintext on the wire");

        relay.corruptNext();
        low.send(high.address(), "tampered".getBytes(StandardCharsets.UTF_8));
        await("the tampered connection is dropped and redialed", () -> relay.connections() > 1);
        // Every chunk is corrupted until now (a redial racing the send would otherwise carry it intact).
        relay.stopCorrupting();
        await("connected again", () -> low.connectedPeers().contains(high.address()) && high.connectedPeers().contains(low.address()));
        // The dropped link may still be on its way out when the new one is up: send until a message gets through.
        await("later messages flow", () -> {
            low.send(high.address(), "after".getBytes(StandardCharsets.UTF_8));
            return inbox.contains(new Received(low.address(), "after"));
        });
        assertFalse(inbox.contains(new Received(low.address(), "tampered")));
    }

    @Test
    void aDialerReconnectsAfterThePeerRestarts() throws Exception {
        NodeSigner sa = signer(0);
        NodeSigner sb = signer(1);
        List<Received> inbox = new CopyOnWriteArrayList<>();
        PeerNetwork a = start(sa, new CopyOnWriteArrayList<>(), PeerLimits.defaults());
        PeerNetwork b = start(sb, inbox, PeerLimits.defaults());
        int portB = b.port();
        a.setMembers(peers(a, b));
        b.setMembers(peers(a, b));
        await("connected", () -> a.connectedPeers().contains(b.address()));
        b.close();
        await("a notices", () -> !a.connectedPeers().contains(sb.address()) || a.address().compareTo(sb.address()) > 0);
        PeerNetwork b2 = new PeerNetwork(sb, CHAIN, new InetSocketAddress("127.0.0.1", portB), PeerLimits.defaults(),
                (from, m) -> inbox.add(new Received(from, new String(m, StandardCharsets.UTF_8))));
        // A restarted process may find its port briefly busy (the old sockets are still closing): retry as it would.
        for (int attempt = 0; ; attempt++) {
            try {
                b2.start();
                break;
            } catch (java.net.BindException e) {
                if (attempt == 50) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
        open.add(b2);
        b2.setMembers(List.of(new PeerNetwork.Peer(a.address(), new InetSocketAddress("127.0.0.1", a.port())),
                new PeerNetwork.Peer(sb.address(), new InetSocketAddress("127.0.0.1", portB))));
        await("reconnected", () -> a.connectedPeers().contains(sb.address()) && b2.connectedPeers().contains(a.address()));
        await("delivered after restart", () -> {
            a.send(sb.address(), "after-restart".getBytes(StandardCharsets.UTF_8));
            return inbox.contains(new Received(a.address(), "after-restart"));
        });
    }

    @Test
    void oversizedMessagesAreRefusedAndFloodsAreRateLimited() throws Exception {
        PeerLimits tight = new PeerLimits(1024, 10, 10, Duration.ofSeconds(5), Duration.ofSeconds(1));
        List<Received> inbox = Collections.synchronizedList(new ArrayList<>());
        PeerNetwork a = start(signer(0), new CopyOnWriteArrayList<>(), tight);
        PeerNetwork b = start(signer(1), inbox, tight);
        a.setMembers(peers(a, b));
        b.setMembers(peers(a, b));
        await("connected", () -> a.connectedPeers().contains(b.address()) && b.connectedPeers().contains(a.address()));
        assertFalse(a.send(b.address(), new byte[2048]), "a message above the frame limit is not sent");
        assertEquals(1, a.refusedOversize());
        assertTrue(a.connectedPeers().contains(b.address()), "our own oversized message never costs the link");
        for (int k = 0; k < 200; k++) {
            a.send(b.address(), ("m" + k).getBytes(StandardCharsets.UTF_8));
        }
        await("flood handled", () -> inbox.size() + b.droppedByRateLimit() >= 200);
        assertTrue(inbox.size() <= 20, "at most the burst plus a little refill got through: " + inbox.size());
        assertTrue(b.droppedByRateLimit() >= 180);
    }

    // ---- hostile peers and outsiders, over real sockets, each node on its own loopback address ----

    private PeerNetwork startAt(String ip, NodeSigner s, PeerNetwork.MessageHandler handler, PeerLimits limits) throws IOException {
        PeerNetwork n = new PeerNetwork(s, CHAIN, new InetSocketAddress(ip, 0), limits, handler);
        n.start();
        open.add(n);
        return n;
    }

    private static PeerNetwork.Peer at(PeerNetwork n, String ip) {
        return new PeerNetwork.Peer(n.address(), new InetSocketAddress(ip, n.port()));
    }

    private static List<NodeSigner> sortedSigners(int... indexes) {
        List<NodeSigner> keys = new ArrayList<>();
        for (int i : indexes) keys.add(signer(i));
        keys.sort((x, y) -> x.address().compareTo(y.address()));
        return keys;
    }

    private static Socket connectFrom(String localIp, InetSocketAddress to) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(localIp, 0));
        s.connect(to, 2_000);
        return s;
    }

    /** Writes {@code first}, reads what comes back (up to {@code expect} bytes), then writes {@code second} and waits for the close. */
    private static void replay(String fromIp, InetSocketAddress to, byte[] first, int expect, byte[] second) {
        try (Socket s = connectFrom(fromIp, to)) {
            s.setSoTimeout(2_000);
            s.getOutputStream().write(first);
            byte[] reply = s.getInputStream().readNBytes(expect);
            if (second != null && reply.length == expect) s.getOutputStream().write(second);
            while (s.getInputStream().read() >= 0) {
                // until the member closes it
            }
        } catch (IOException ignored) {
            // refused, reset or timed out: all fine for an attacker
        }
    }

    @Test
    void replayedAndRelayedHandshakesNeitherReplaceNorDropALink() throws Exception {
        List<NodeSigner> keys = sortedSigners(0, 1, 2);
        String[] ips = {"127.0.0.11", "127.0.0.12", "127.0.0.13"};
        List<Map<Address, AtomicInteger>> counts = List.of(new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
        List<PeerNetwork> nodes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Map<Address, AtomicInteger> c = counts.get(i);
            nodes.add(startAt(ips[i], keys.get(i), (from, m) -> c.computeIfAbsent(from, k -> new AtomicInteger()).incrementAndGet(),
                    PeerLimits.defaults()));
        }
        PeerNetwork low = nodes.get(0), mid = nodes.get(1), high = nodes.get(2);
        // The outsider sits on the path of low -> mid and records that handshake.
        TcpRelay tap = new TcpRelay(InetAddress.getByName("127.0.0.50"), new InetSocketAddress(ips[1], mid.port()));
        open.add(tap);
        low.setMembers(List.of(new PeerNetwork.Peer(mid.address(), tap.endpoint()), at(high, ips[2])));
        mid.setMembers(List.of(at(low, ips[0]), at(high, ips[2])));
        high.setMembers(List.of(at(low, ips[0]), at(mid, ips[1])));
        await("a full mesh", () -> nodes.stream().allMatch(n -> n.connectedPeers().size() == 2));
        await("the tapped handshake completed", () -> tap.forwardBytes().length >= SecureChannel.HELLO_BYTES + SecureChannel.FINISH_BYTES
                && tap.backwardBytes().length >= SecureChannel.REPLY_BYTES);
        byte[] up = tap.forwardBytes();
        byte[] hello = Arrays.copyOfRange(up, 0, SecureChannel.HELLO_BYTES);
        byte[] finish = Arrays.copyOfRange(up, SecureChannel.HELLO_BYTES, SecureChannel.HELLO_BYTES + SecureChannel.FINISH_BYTES);
        byte[] reply = Arrays.copyOfRange(tap.backwardBytes(), 0, SecureChannel.REPLY_BYTES);
        long[] opened = nodes.stream().mapToLong(PeerNetwork::linksOpened).toArray();

        // Every member broadcasts every 10 ms while the outsider attacks all of them for 3 s.
        long until = System.nanoTime() + 3_000_000_000L;
        AtomicLong sent = new AtomicLong();
        AtomicLong attempts = new AtomicLong();
        AtomicInteger shortBroadcasts = new AtomicInteger();
        Thread sender = Thread.ofVirtual().start(() -> {
            while (System.nanoTime() < until) {
                for (PeerNetwork n : nodes) {
                    if (n.broadcast("tick".getBytes(StandardCharsets.UTF_8)) != 2) shortBroadcasts.incrementAndGet();
                    sent.incrementAndGet();
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        List<Thread> attackers = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            attackers.add(Thread.ofVirtual().start(() -> {
                while (System.nanoTime() < until) {
                    for (int i = 0; i < 3; i++) {
                        InetSocketAddress target = new InetSocketAddress(ips[i], nodes.get(i).port());
                        replay("127.0.0.99", target, hello, SecureChannel.REPLY_BYTES, finish); // replay low's dial, with its finish
                        // relay mid's reply as an opening message (padded to an opening's length, which is longer)
                        replay("127.0.0.99", target, Arrays.copyOf(reply, SecureChannel.HELLO_BYTES), 0, null);
                        attempts.addAndGet(2);
                    }
                }
            }));
        }
        for (Thread t : attackers) t.join();
        sender.join();

        long perPeer = sent.get() / 3;
        await("every tick delivered", () -> counts.stream().allMatch(c -> c.size() == 2
                && c.values().stream().allMatch(n -> n.get() == perPeer)));
        assertEquals(0, shortBroadcasts.get(), "every broadcast reached both peers");
        long refused = 0;
        for (int i = 0; i < 3; i++) {
            PeerNetwork n = nodes.get(i);
            assertEquals(0, n.linksReplaced(), "no link replaced at member " + i);
            assertEquals(opened[i], n.linksOpened(), "no new link at member " + i);
            assertEquals(2, n.connectedPeers().size());
            refused += n.refusedHandshakes() + n.refusedPendingHandshakes();
        }
        System.out.printf("replay attack: %d attempts, %d refused (handshake %d, pending cap %d), %d ticks per member delivered%n",
                attempts.get(), refused, nodes.stream().mapToLong(PeerNetwork::refusedHandshakes).sum(),
                nodes.stream().mapToLong(PeerNetwork::refusedPendingHandshakes).sum(), perPeer);
        assertTrue(attempts.get() >= 30, "the outsider kept at it: " + attempts.get());
        assertTrue(refused >= attempts.get() * 9 / 10, "replays refused and counted: " + refused + " of " + attempts.get());
    }

    @Test
    void aMemberThatStopsReadingCannotBlockBroadcasts() throws Exception {
        List<NodeSigner> keys = sortedSigners(0, 1, 2, 3);
        PeerLimits limits = PeerLimits.defaults().withQueue(8_192, 16L << 20, Duration.ofSeconds(2));
        String[] ips = {"127.0.0.21", "127.0.0.22", "127.0.0.23"};
        List<AtomicInteger> bigReceived = List.of(new AtomicInteger(), new AtomicInteger(), new AtomicInteger());
        List<PeerNetwork> nodes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            AtomicInteger c = bigReceived.get(i);
            nodes.add(startAt(ips[i], keys.get(i), (from, m) -> {
                if (m.length == 256 << 10) c.incrementAndGet();
            }, limits));
        }
        NodeSigner stuck = keys.get(3); // the highest address: everybody waits for it to dial
        PeerNetwork.Peer stuckPeer = new PeerNetwork.Peer(stuck.address(), new InetSocketAddress("127.0.0.24", 9));
        for (PeerNetwork n : nodes) {
            List<PeerNetwork.Peer> view = new ArrayList<>(List.of(stuckPeer));
            for (int j = 0; j < 3; j++) if (nodes.get(j) != n) view.add(at(nodes.get(j), ips[j]));
            n.setMembers(view);
        }
        await("a mesh of three", () -> nodes.stream().allMatch(n -> n.connectedPeers().size() == 2));
        // The stuck member completes real handshakes with everybody, then never reads.
        List<SecureChannel> stuckLinks = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Socket s = new Socket();
            s.setReceiveBufferSize(4_096);
            s.bind(new InetSocketAddress("127.0.0.24", 0));
            s.connect(new InetSocketAddress(ips[i], nodes.get(i).port()));
            SecureChannel c = SecureChannel.initiate(s, stuck, CHAIN, nodes.get(i).address(), limits, new SecureRandom());
            stuckLinks.add(c);
            open.add(c);
        }
        await("everyone linked to the stuck member", () -> nodes.stream().allMatch(n -> n.connectedPeers().contains(stuck.address())));

        PeerNetwork a = nodes.get(0);
        long slowest = 0;
        long start = System.nanoTime();
        for (int k = 0; k < 20; k++) {
            byte[] big = new byte[256 << 10];
            big[0] = (byte) k;
            long t = System.nanoTime();
            a.broadcast(big);
            slowest = Math.max(slowest, System.nanoTime() - t);
        }
        long total = System.nanoTime() - start;
        await("the stuck member dropped", () -> !a.connectedPeers().contains(stuck.address()));
        long droppedAfter = System.nanoTime() - start;
        await("the others received all 20", () -> bigReceived.get(1).get() == 20 && bigReceived.get(2).get() == 20);
        System.out.printf("20 broadcasts of 256 KiB: %.2f ms in total, slowest %.3f ms; the stuck member dropped after %d ms%n",
                total / 1e6, slowest / 1e6, droppedAfter / 1_000_000);
        assertTrue(total < 500_000_000L, "broadcasts never wait for a peer: " + total / 1e6 + " ms");
        assertTrue(a.slowPeersDropped() >= 1);
        assertTrue(a.connectedPeers().containsAll(List.of(nodes.get(1).address(), nodes.get(2).address())));
        // Consensus-sized traffic keeps flowing to the others.
        assertEquals(2, a.broadcast(new byte[256 << 10]));
        await("one more", () -> bigReceived.get(1).get() == 21 && bigReceived.get(2).get() == 21);
    }

    /** Sends an opening message from a raw socket; true when the responder answered it (generated and signed). */
    private static boolean answered(InetSocketAddress to, byte[] opening) throws IOException {
        try (Socket s = connectFrom("127.0.0.99", to)) {
            s.setSoTimeout(3_000);
            s.getOutputStream().write(opening);
            try {
                return s.getInputStream().readNBytes(SecureChannel.REPLY_BYTES).length == SecureChannel.REPLY_BYTES;
            } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
                return false;
            }
        }
    }

    @Test
    void anOpeningMessageMakesTheResponderSignOnlyWhenAMemberSignedItFreshlyAndOnce() throws Exception {
        List<NodeSigner> keys = sortedSigners(0, 1);
        PeerNetwork a = startAt("127.0.0.35", keys.get(0), (f, m) -> { }, PeerLimits.defaults());
        NodeSigner member = keys.get(1);
        a.setMembers(List.of(new PeerNetwork.Peer(member.address(), new InetSocketAddress("127.0.0.36", 9))));
        InetSocketAddress target = new InetSocketAddress("127.0.0.35", a.port());
        java.util.Random rnd = new java.util.Random(9);
        java.util.function.Supplier<byte[]> ephemeral = () -> org.bouncycastle.crypto.ec.CustomNamedCurves.getByName("secp256k1").getG()
                .multiply(new java.math.BigInteger(200, rnd).add(java.math.BigInteger.ONE)).normalize().getEncoded(true);
        java.util.function.Supplier<byte[]> nonce = () -> {
            byte[] n = new byte[32];
            rnd.nextBytes(n);
            return n;
        };
        long now = System.currentTimeMillis() / 1000;

        // A stranger names the member but cannot sign for it: one recovery, no key generated, nothing signed.
        NodeSigner stranger = signer(7);
        byte[] forged = SecureChannel.opening(stranger, CHAIN, a.address(), ephemeral.get(), nonce.get(), now);
        System.arraycopy(member.address().toArray(), 0, forged, 12, 20); // the initiator field says "member"
        assertFalse(answered(target, forged), "a forged opening is refused");
        assertFalse(answered(target, SecureChannel.opening(stranger, CHAIN, a.address(), ephemeral.get(), nonce.get(), now)),
                "a stranger in its own name is not a member");
        // The member's own signature, but stale or from the future.
        assertFalse(answered(target, SecureChannel.opening(member, CHAIN, a.address(), ephemeral.get(), nonce.get(), now - 120)), "stale");
        assertFalse(answered(target, SecureChannel.opening(member, CHAIN, a.address(), ephemeral.get(), nonce.get(), now + 120)), "future");
        assertEquals(0, a.handshakeReplies(), "nothing signed so far");

        // A fresh one is answered once; recorded and replayed, it is refused without a signature.
        byte[] genuine = SecureChannel.opening(member, CHAIN, a.address(), ephemeral.get(), nonce.get(), now);
        assertTrue(answered(target, genuine), "a fresh opening by a member is answered");
        assertEquals(1, a.handshakeReplies());
        for (int k = 0; k < 20; k++) assertFalse(answered(target, genuine), "replay " + k);
        assertEquals(1, a.handshakeReplies(), "a replayed opening costs no signature");
        // Each refusal is counted after the socket closes, so the last ones may land just after the client saw the close.
        await("every refusal counted", () -> a.refusedHandshakes() >= 24);
    }

    @Test
    void halfOpenHandshakesAreCappedPerIpAndInTotal() throws Exception {
        List<NodeSigner> keys = sortedSigners(0, 1);
        PeerNetwork a = startAt("127.0.0.31", keys.get(0), (f, m) -> { }, PeerLimits.defaults());
        List<Socket> halfOpen = new ArrayList<>();
        try {
            for (int k = 0; k < 20; k++) halfOpen.add(connectFrom("127.0.0.77", new InetSocketAddress("127.0.0.31", a.port())));
            await("one IP capped at 4", () -> a.refusedPendingHandshakes() == 16);
            assertEquals(4, a.pendingHandshakes());
            for (int ip = 100; ip < 140; ip++) {
                for (int k = 0; k < 3; k++) halfOpen.add(connectFrom("127.0.0." + ip, new InetSocketAddress("127.0.0.31", a.port())));
            }
            await("the total capped at 64", () -> a.refusedPendingHandshakes() == 16 + (4 + 120 - 64));
            assertEquals(64, a.pendingHandshakes());
            assertEquals(0, a.handshakeReplies(), "nothing generated or signed for connections that sent nothing");
            System.out.printf("half-open: 140 connections, %d pending, %d closed unread%n", a.pendingHandshakes(), a.refusedPendingHandshakes());
        } finally {
            for (Socket s : halfOpen) s.close();
        }
        await("pending handshakes released", () -> a.pendingHandshakes() == 0);
        PeerNetwork b = startAt("127.0.0.32", keys.get(1), (f, m) -> { }, PeerLimits.defaults());
        a.setMembers(List.of(at(b, "127.0.0.32")));
        b.setMembers(List.of(at(a, "127.0.0.31")));
        await("members still get in", () -> a.connectedPeers().contains(b.address()) && b.connectedPeers().contains(a.address()));
    }

    @Test
    void aSecondCompletedLinkFollowsTheTieBreak() throws Exception {
        List<NodeSigner> keys = sortedSigners(0, 1);
        PeerNetwork low = startAt("127.0.0.41", keys.get(0), (f, m) -> { }, PeerLimits.defaults());
        PeerNetwork high = startAt("127.0.0.42", keys.get(1), (f, m) -> { }, PeerLimits.defaults());
        low.setMembers(List.of(at(high, "127.0.0.42")));
        high.setMembers(List.of(at(low, "127.0.0.41")));
        await("connected", () -> low.connectedPeers().contains(high.address()) && high.connectedPeers().contains(low.address()));
        // A link opened by the higher address (a simultaneous dial) loses against the live one opened by the lower.
        Socket s = connectFrom("127.0.0.42", new InetSocketAddress("127.0.0.41", low.port()));
        SecureChannel extra = SecureChannel.initiate(s, keys.get(1), CHAIN, low.address(), PeerLimits.defaults(), new SecureRandom());
        open.add(extra);
        await("the duplicate refused", () -> low.duplicateLinksRefused() == 1);
        assertEquals(0, low.linksReplaced());
        assertTrue(low.send(high.address(), "still".getBytes(StandardCharsets.UTF_8)));
    }
}
