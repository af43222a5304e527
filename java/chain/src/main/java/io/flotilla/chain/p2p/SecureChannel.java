package io.flotilla.chain.p2p;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.types.Address;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.DataInputStream;
import java.io.BufferedInputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Predicate;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.agreement.ECDHBasicAgreement;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.generators.ECKeyPairGenerator;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECKeyGenerationParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.math.ec.ECPoint;

/**
 * An authenticated, encrypted connection between two chain members.
 *
 * <p>Handshake, three messages (ephemeral keys first, then signatures under the new keys, in the spirit of SIGMA-I
 * and Noise XX):
 * <ol>
 * <li>initiator → responder, plaintext: "FLP3" | chainId | initiator address | responder address | e_i | n_i | t_i
 * | sig_h (compressed ephemeral secp256k1 key, 32-byte nonce, the initiator's clock in unix seconds, and its node-key
 * signature of keccak("hello" | domain | all of the above)). The responder checks magic, chain, that the responder
 * address is its own, that the initiator is a current member, that t_i is within 30 s of its clock, that sig_h is
 * the initiator's and that this nonce was not used before ({@link HelloGuard}), and that e_i is a curve point, before
 * it generates or signs anything: a stranger costs it one signature recovery, a recorded opening nothing more.
 * <li>responder → initiator: e_r | n_r | AEAD(k_r, sig_r). Both compute the ECDH secret of e_i and e_r and the
 * transcript hash T = keccak("flotilla-p2p-v2" | chainId | both addresses | e_i | n_i | e_r | n_r); k_r, k_i and
 * the two transport keys are derived from secret and T with distinct labels. sig_r is the responder's node-key
 * signature of keccak("responder" | T).
 * <li>initiator → responder: AEAD(k_i, sig_i), sig_i its signature of keccak("initiator" | T).
 * </ol>
 * Each side accepts only a signature by the expected member over a transcript containing its own fresh ephemeral
 * key, delivered under a key only the holder of the other ephemeral key can derive: identities are mutually
 * authenticated, both sides confirm the session keys, and no message of one handshake is valid in any other
 * (recorded or relayed messages fail). The whole handshake must finish within {@link PeerLimits#handshakeTimeout()}.
 *
 * <p>Frames: 4-byte length, then AES-256-GCM ciphertext; the GCM nonce is a per-direction counter. Outbound messages
 * go through a bounded queue drained by one writer thread per link: {@link #enqueue} never blocks; a write that
 * makes no progress is detected by {@link #stalledFor} and the link is closed by its owner.
 */
public final class SecureChannel implements AutoCloseable {

    private static final byte[] MAGIC = "FLP3".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DOMAIN_TAG = "flotilla-p2p-v2".getBytes(StandardCharsets.US_ASCII);
    private static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256k1");
    private static final ECDomainParameters DOMAIN = new ECDomainParameters(CURVE.getCurve(), CURVE.getG(), CURVE.getN(), CURVE.getH());
    private static final int TAG_BITS = 128;
    private static final int TAG_BYTES = TAG_BITS / 8;
    /** Sizes of the three handshake messages. */
    public static final int HELLO_BYTES = 4 + 8 + 20 + 20 + 33 + 32 + 8 + 65;
    public static final int REPLY_BYTES = 33 + 32 + 65 + TAG_BYTES;
    public static final int FINISH_BYTES = 65 + TAG_BYTES;
    private static final int WRITE_CHUNK = 64 << 10;

    /** A connection refused during the handshake; the message says why. */
    public static final class HandshakeException extends IOException {
        public HandshakeException(String message) {
            super(message);
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final Address peer;
    private final boolean initiatedBySelf;
    private final SecretKeySpec sendKey;
    private final SecretKeySpec receiveKey;
    private final int maxFrameBytes;
    private final int maxQueuedMessages;
    private final long maxQueuedBytes;
    private long receiveCounter;
    // Outbound queue, guarded by itself.
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private long queuedBytes;
    private boolean writerStarted;
    private volatile boolean closed;
    /** When the write in progress last made progress (System.nanoTime), or 0 when the writer is idle. */
    private volatile long writeProgressAt;

    private SecureChannel(Socket socket, DataInputStream in, OutputStream out, Address peer, boolean initiatedBySelf, byte[] sendKey,
            byte[] receiveKey, PeerLimits limits) {
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.peer = peer;
        this.initiatedBySelf = initiatedBySelf;
        this.sendKey = new SecretKeySpec(sendKey, "AES");
        this.receiveKey = new SecretKeySpec(receiveKey, "AES");
        this.maxFrameBytes = limits.maxFrameBytes();
        this.maxQueuedMessages = limits.maxQueuedMessages();
        this.maxQueuedBytes = limits.maxQueuedBytes();
    }

    /** Runs the initiator's side on a connected socket to {@code expected}; closes the socket and throws on failure. */
    public static SecureChannel initiate(Socket socket, NodeSigner self, long chainId, Address expected, PeerLimits limits,
            SecureRandom random) throws IOException {
        try {
            long deadline = System.nanoTime() + limits.handshakeTimeout().toNanos();
            socket.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            OutputStream out = socket.getOutputStream();
            AsymmetricCipherKeyPair ephemeral = generate(random);
            byte[] ei = publicKey(ephemeral);
            byte[] ni = new byte[32];
            random.nextBytes(ni);
            out.write(opening(self, chainId, expected, ei, ni, System.currentTimeMillis() / 1000));
            out.flush();

            ByteBuffer reply = ByteBuffer.wrap(read(socket, in, REPLY_BYTES, deadline));
            byte[] er = new byte[33];
            byte[] nr = new byte[32];
            byte[] box = new byte[65 + TAG_BYTES];
            reply.get(er).get(nr).get(box);
            Keys keys = keys(ephemeral, point(er), chainId, self.address(), expected, ei, ni, er, nr);
            byte[] sigR = open(keys.responder, box);
            Optional<Address> signer = NodeSigner.recover(roleHash("responder", keys.transcript), sigR);
            if (signer.isEmpty() || !signer.get().equals(expected)) {
                throw new HandshakeException("the responder is not " + expected);
            }
            out.write(seal(keys.initiator, self.sign(roleHash("initiator", keys.transcript))));
            out.flush();
            socket.setSoTimeout(0);
            return new SecureChannel(socket, in, out, expected, true, keys.initiatorToResponder, keys.responderToInitiator, limits);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e instanceof IOException io ? io : new HandshakeException("handshake failed: " + e);
        }
    }

    /**
     * Runs the responder's side on an accepted socket. Nothing is generated, signed or sent before the initiator's
     * first message has been read and checked. {@code onReply} runs when our reply is about to be sent (for counting).
     */
    public static SecureChannel respond(Socket socket, NodeSigner self, long chainId, Predicate<Address> isMember, PeerLimits limits,
            SecureRandom random, HelloGuard guard, Runnable onReply) throws IOException {
        try {
            long deadline = System.nanoTime() + limits.handshakeTimeout().toNanos();
            socket.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            OutputStream out = socket.getOutputStream();
            ByteBuffer hello = ByteBuffer.wrap(read(socket, in, HELLO_BYTES, deadline));
            byte[] magic = new byte[4];
            hello.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new HandshakeException("not a flotilla peer");
            }
            long peerChain = hello.getLong();
            if (peerChain != chainId) {
                throw new HandshakeException("peer is on chain " + peerChain + ", not " + chainId);
            }
            byte[] raw = new byte[20];
            hello.get(raw);
            Address initiator = Address.of(raw.clone());
            hello.get(raw);
            Address responder = Address.of(raw.clone());
            if (!responder.equals(self.address())) {
                throw new HandshakeException("the initiator wants " + responder + ", not us");
            }
            if (initiator.equals(self.address()) || !isMember.test(initiator)) {
                throw new HandshakeException("peer " + initiator + " is not a member of chain " + chainId);
            }
            byte[] ei = new byte[33];
            byte[] ni = new byte[32];
            hello.get(ei).get(ni);
            String stale = guard.staleness(hello.getLong());
            if (stale != null) {
                throw new HandshakeException(stale);
            }
            int signedBytes = hello.position();
            byte[] sigH = new byte[65];
            hello.get(sigH);
            Optional<Address> opener = NodeSigner.recover(helloHash(hello.array(), signedBytes), sigH);
            if (opener.isEmpty() || !opener.get().equals(initiator)) {
                throw new HandshakeException("the opening message is not signed by " + initiator);
            }
            if (!guard.firstUse(initiator, ni)) {
                throw new HandshakeException("replayed opening message from " + initiator);
            }
            ECPoint initiatorPoint = point(ei);

            onReply.run();
            AsymmetricCipherKeyPair ephemeral = generate(random);
            byte[] er = publicKey(ephemeral);
            byte[] nr = new byte[32];
            random.nextBytes(nr);
            Keys keys = keys(ephemeral, initiatorPoint, chainId, initiator, self.address(), ei, ni, er, nr);
            out.write(ByteBuffer.allocate(REPLY_BYTES).put(er).put(nr).put(seal(keys.responder, self.sign(roleHash("responder", keys.transcript))))
                    .array());
            out.flush();

            byte[] sigI = open(keys.initiator, read(socket, in, FINISH_BYTES, deadline));
            Optional<Address> signer = NodeSigner.recover(roleHash("initiator", keys.transcript), sigI);
            if (signer.isEmpty() || !signer.get().equals(initiator)) {
                throw new HandshakeException("the initiator is not " + initiator);
            }
            socket.setSoTimeout(0);
            return new SecureChannel(socket, in, out, initiator, false, keys.responderToInitiator, keys.initiatorToResponder, limits);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e instanceof IOException io ? io : new HandshakeException("handshake failed: " + e);
        }
    }

    public Address peer() {
        return peer;
    }

    /** The address of the member that opened this connection (us or the peer). */
    public boolean initiatedBySelf() {
        return initiatedBySelf;
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * Queues one message for the writer thread; never blocks. False when the link is closed or the queue is full
     * (in messages or bytes): the caller should then drop the link, whose peer is not keeping up.
     */
    public boolean enqueue(byte[] message) {
        if (message.length > maxFrameBytes) {
            throw new IllegalArgumentException("message of " + message.length + " bytes exceeds the " + maxFrameBytes + "-byte limit");
        }
        synchronized (queue) {
            if (closed || queue.size() >= maxQueuedMessages || queuedBytes + message.length > maxQueuedBytes) {
                return false;
            }
            queue.addLast(message);
            queuedBytes += message.length;
            queue.notifyAll();
        }
        return true;
    }

    /** Starts the writer (a virtual thread); {@code onFailure} runs once if it stops because the link broke. */
    public void startWriter(Runnable onFailure) {
        synchronized (queue) {
            if (writerStarted) {
                return;
            }
            writerStarted = true;
        }
        Thread.ofVirtual().name("p2p-write-" + peer).start(() -> {
            try {
                writeLoop();
            } catch (IOException | InterruptedException e) {
                if (!closed) {
                    close();
                    onFailure.run();
                }
            }
        });
    }

    /** How long the write in progress has made no progress, in nanoseconds (0 when idle). */
    public long stalledFor(long nowNanos) {
        long at = writeProgressAt;
        return at == 0 ? 0 : Math.max(0, nowNanos - at);
    }

    /** Bytes waiting to be written. */
    public long queuedBytes() {
        synchronized (queue) {
            return queuedBytes;
        }
    }

    private void writeLoop() throws IOException, InterruptedException {
        while (true) {
            byte[] message;
            synchronized (queue) {
                while (queue.isEmpty() && !closed) {
                    queue.wait();
                }
                if (closed) {
                    return;
                }
                message = queue.pollFirst();
                queuedBytes -= message.length;
            }
            // The GCM counter advances in queue order: only this thread encrypts.
            byte[] frame = crypt(sendCipher, Cipher.ENCRYPT_MODE, sendKey, sendCounter++, message);
            byte[] wire = ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame).array();
            for (int off = 0; off < wire.length; off += WRITE_CHUNK) {
                writeProgressAt = System.nanoTime() | 1;
                out.write(wire, off, Math.min(WRITE_CHUNK, wire.length - off));
            }
            out.flush();
            writeProgressAt = 0;
        }
    }

    private long sendCounter;
    // One cipher per direction, each used by one thread only (the writer, the reader): looking a cipher up per frame
    // cost more than encrypting a small frame. Re-initialised per frame with that frame's nonce.
    private final Cipher sendCipher = newCipher();
    private final Cipher receiveCipher = newCipher();

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM is not available", e);
        }
    }

    /** Receives and decrypts one message; one reader thread only. A tampered or oversized frame throws. */
    public byte[] receive() throws IOException {
        int length = in.readInt();
        if (length < TAG_BYTES || length > maxFrameBytes + TAG_BYTES) {
            throw new IOException("frame of " + length + " bytes refused");
        }
        byte[] frame = new byte[length];
        in.readFully(frame);
        return crypt(receiveCipher, Cipher.DECRYPT_MODE, receiveKey, receiveCounter++, frame);
    }

    @Override
    public void close() {
        synchronized (queue) {
            closed = true;
            queue.clear();
            queuedBytes = 0;
            queue.notifyAll();
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
    }

    // ---- handshake helpers ----

    /** The initiator's opening message (message 1) with its clock {@code ti} in unix seconds. */
    static byte[] opening(NodeSigner self, long chainId, Address responder, byte[] ei, byte[] ni, long ti) {
        ByteBuffer hello = ByteBuffer.allocate(HELLO_BYTES).put(MAGIC).putLong(chainId).put(self.address().toArray())
                .put(responder.toArray()).put(ei).put(ni).putLong(ti);
        hello.put(self.sign(helloHash(hello.array(), hello.position())));
        return hello.array();
    }

    /** What the initiator signs in the opening message: its first {@code length} bytes under a label of their own. */
    private static byte[] helloHash(byte[] hello, int length) {
        byte[] label = "hello".getBytes(StandardCharsets.US_ASCII);
        byte[] data = new byte[label.length + DOMAIN_TAG.length + length];
        System.arraycopy(label, 0, data, 0, label.length);
        System.arraycopy(DOMAIN_TAG, 0, data, label.length, DOMAIN_TAG.length);
        System.arraycopy(hello, 0, data, label.length + DOMAIN_TAG.length, length);
        return Keccak.hash(data);
    }

    private record Keys(byte[] transcript, SecretKeySpec responder, SecretKeySpec initiator, byte[] initiatorToResponder,
            byte[] responderToInitiator) {}

    private static Keys keys(AsymmetricCipherKeyPair own, ECPoint other, long chainId, Address initiator, Address responder, byte[] ei,
            byte[] ni, byte[] er, byte[] nr) throws HandshakeException {
        ECDHBasicAgreement agreement = new ECDHBasicAgreement();
        agreement.init(own.getPrivate());
        BigInteger shared;
        try {
            shared = agreement.calculateAgreement(new ECPublicKeyParameters(other, DOMAIN));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new HandshakeException("bad ephemeral key");
        }
        byte[] secret = toBytes32(shared);
        byte[] transcript = Keccak.hash(ByteBuffer.allocate(DOMAIN_TAG.length + 8 + 40 + 33 + 32 + 33 + 32).put(DOMAIN_TAG).putLong(chainId)
                .put(initiator.toArray()).put(responder.toArray()).put(ei).put(ni).put(er).put(nr).array());
        return new Keys(transcript, new SecretKeySpec(derive(secret, transcript, "hs-responder"), "AES"),
                new SecretKeySpec(derive(secret, transcript, "hs-initiator"), "AES"), derive(secret, transcript, "initiator-to-responder"),
                derive(secret, transcript, "responder-to-initiator"));
    }

    private static AsymmetricCipherKeyPair generate(SecureRandom random) {
        ECKeyPairGenerator generator = new ECKeyPairGenerator();
        generator.init(new ECKeyGenerationParameters(DOMAIN, random));
        return generator.generateKeyPair();
    }

    private static byte[] publicKey(AsymmetricCipherKeyPair pair) {
        return ((ECPublicKeyParameters) pair.getPublic()).getQ().getEncoded(true);
    }

    private static ECPoint point(byte[] compressed) throws HandshakeException {
        if (compressed[0] != 2 && compressed[0] != 3) {
            throw new HandshakeException("bad ephemeral key");
        }
        try {
            ECPoint p = CURVE.getCurve().decodePoint(compressed);
            if (p.isInfinity() || !p.isValid()) {
                throw new HandshakeException("bad ephemeral key");
            }
            return p;
        } catch (IllegalArgumentException e) {
            throw new HandshakeException("bad ephemeral key");
        }
    }

    private static byte[] roleHash(String role, byte[] transcript) {
        byte[] r = role.getBytes(StandardCharsets.US_ASCII);
        return Keccak.hash(ByteBuffer.allocate(r.length + 32).put(r).put(transcript).array());
    }

    private static byte[] seal(SecretKeySpec key, byte[] plain) throws IOException {
        return crypt(Cipher.ENCRYPT_MODE, key, 0, plain);
    }

    private static byte[] open(SecretKeySpec key, byte[] box) throws HandshakeException {
        try {
            return crypt(Cipher.DECRYPT_MODE, key, 0, box);
        } catch (IOException e) {
            throw new HandshakeException("key confirmation failed");
        }
    }

    /** Reads exactly {@code n} bytes before the deadline (a slow sender cannot stretch the handshake). */
    private static byte[] read(Socket socket, InputStream in, int n, long deadline) throws IOException {
        byte[] buf = new byte[n];
        int off = 0;
        while (off < n) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new HandshakeException("handshake timed out");
            }
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
            int r;
            try {
                r = in.read(buf, off, n - off);
            } catch (SocketTimeoutException e) {
                throw new HandshakeException("handshake timed out");
            }
            if (r < 0) {
                throw new HandshakeException("closed during the handshake");
            }
            off += r;
        }
        return buf;
    }

    private static byte[] crypt(int mode, SecretKeySpec key, long counter, byte[] input) throws IOException {
        return crypt(newCipher(), mode, key, counter, input);
    }

    private static byte[] crypt(Cipher cipher, int mode, SecretKeySpec key, long counter, byte[] input) throws IOException {
        try {
            byte[] iv = ByteBuffer.allocate(12).putInt(0).putLong(counter).array();
            cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, iv));
            return cipher.doFinal(input);
        } catch (GeneralSecurityException e) {
            throw new IOException("frame rejected: " + e.getClass().getSimpleName());
        }
    }

    private static byte[] derive(byte[] secret, byte[] transcript, String label) {
        byte[] l = label.getBytes(StandardCharsets.US_ASCII);
        return Keccak.hash(ByteBuffer.allocate(8 + l.length + 32 + 32).put("flp2-key".getBytes(StandardCharsets.US_ASCII)).put(l).put(secret)
                .put(transcript).array());
    }

    private static byte[] toBytes32(BigInteger value) {
        byte[] raw = value.toByteArray();
        byte[] out = new byte[32];
        int length = Math.min(32, raw.length);
        System.arraycopy(raw, raw.length - length, out, 32 - length, length);
        return out;
    }
}
