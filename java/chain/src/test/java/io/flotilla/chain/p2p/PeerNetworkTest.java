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
import java.util.concurrent.CopyOnWriteArrayList;
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
        await("connected again", () -> low.connectedPeers().contains(high.address()) && high.connectedPeers().contains(low.address()));
        assertTrue(low.send(high.address(), "after".getBytes(StandardCharsets.UTF_8)));
        await("later messages flow", () -> inbox.contains(new Received(low.address(), "after")));
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
        assertTrue(a.send(sb.address(), "after-restart".getBytes(StandardCharsets.UTF_8)));
        await("delivered after restart", () -> inbox.contains(new Received(a.address(), "after-restart")));
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
}
