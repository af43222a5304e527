package io.flotilla.chain.p2p;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.types.Address;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
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

/**
 * An authenticated, encrypted connection between two chain members.
 *
 * <p>Handshake: each side sends HELLO = "FLP1" | chainId | ephemeral secp256k1 public key | nonce | signature of
 * keccak("flotilla-p2p-v1" | chainId | ephemeral key | nonce) by its node key. Each side recovers the other's
 * address from the signature and accepts it only if it is a current member. Both derive one AES-256-GCM key per
 * direction from the ephemeral ECDH secret and both nonces, so a recorded HELLO is useless to anyone without the
 * ephemeral private key, and every later frame is bound to the authenticated identities.
 *
 * <p>Frames: 4-byte length, then AES-GCM ciphertext; the GCM nonce is a per-direction counter.
 */
public final class SecureChannel implements AutoCloseable {

    private static final byte[] MAGIC = "FLP1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DOMAIN_TAG = "flotilla-p2p-v1".getBytes(StandardCharsets.US_ASCII);
    private static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256k1");
    private static final ECDomainParameters DOMAIN = new ECDomainParameters(CURVE.getCurve(), CURVE.getG(), CURVE.getN(), CURVE.getH());
    private static final int HELLO_BYTES = 4 + 8 + 33 + 32 + 65;
    private static final int TAG_BITS = 128;

    /** A connection refused during the handshake; the message says why. */
    public static final class HandshakeException extends IOException {
        public HandshakeException(String message) {
            super(message);
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final Address peer;
    private final SecretKeySpec sendKey;
    private final SecretKeySpec receiveKey;
    private final int maxFrameBytes;
    private long sendCounter;
    private long receiveCounter;

    private SecureChannel(Socket socket, DataInputStream in, DataOutputStream out, Address peer, byte[] sendKey, byte[] receiveKey,
            int maxFrameBytes) {
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.peer = peer;
        this.sendKey = new SecretKeySpec(sendKey, "AES");
        this.receiveKey = new SecretKeySpec(receiveKey, "AES");
        this.maxFrameBytes = maxFrameBytes;
    }

    /** Runs the handshake on a connected socket; closes it and throws when the peer is not an authenticated member. */
    public static SecureChannel establish(Socket socket, NodeSigner self, long chainId, Predicate<Address> isMember, PeerLimits limits,
            SecureRandom random) throws IOException {
        try {
            socket.setSoTimeout((int) limits.handshakeTimeout().toMillis());
            socket.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));

            ECKeyPairGenerator generator = new ECKeyPairGenerator();
            generator.init(new ECKeyGenerationParameters(DOMAIN, random));
            AsymmetricCipherKeyPair ephemeral = generator.generateKeyPair();
            byte[] ephemeralPublic = ((ECPublicKeyParameters) ephemeral.getPublic()).getQ().getEncoded(true);
            byte[] nonce = new byte[32];
            random.nextBytes(nonce);
            out.write(MAGIC);
            out.writeLong(chainId);
            out.write(ephemeralPublic);
            out.write(nonce);
            out.write(self.sign(helloHash(chainId, ephemeralPublic, nonce)));
            out.flush();

            byte[] hello = new byte[HELLO_BYTES];
            in.readFully(hello);
            ByteBuffer b = ByteBuffer.wrap(hello);
            byte[] magic = new byte[4];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new HandshakeException("not a flotilla peer");
            }
            long peerChain = b.getLong();
            if (peerChain != chainId) {
                throw new HandshakeException("peer is on chain " + peerChain + ", not " + chainId);
            }
            byte[] peerEphemeral = new byte[33];
            byte[] peerNonce = new byte[32];
            byte[] signature = new byte[65];
            b.get(peerEphemeral).get(peerNonce).get(signature);
            Optional<Address> peer = NodeSigner.recover(helloHash(chainId, peerEphemeral, peerNonce), signature);
            if (peer.isEmpty()) {
                throw new HandshakeException("bad handshake signature");
            }
            if (peer.get().equals(self.address()) || !isMember.test(peer.get())) {
                throw new HandshakeException("peer " + peer.get() + " is not a member of chain " + chainId);
            }
            ECDHBasicAgreement agreement = new ECDHBasicAgreement();
            agreement.init(ephemeral.getPrivate());
            BigInteger shared;
            try {
                shared = agreement.calculateAgreement(new ECPublicKeyParameters(CURVE.getCurve().decodePoint(peerEphemeral), DOMAIN));
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new HandshakeException("bad ephemeral key");
            }
            byte[] secret = toBytes32(shared);
            socket.setSoTimeout(0);
            return new SecureChannel(socket, in, out, peer.get(), derive(secret, nonce, peerNonce), derive(secret, peerNonce, nonce),
                    limits.maxFrameBytes());
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    public Address peer() {
        return peer;
    }

    /** Encrypts and sends one message; safe to call from several threads. */
    public synchronized void send(byte[] message) throws IOException {
        if (message.length > maxFrameBytes) {
            throw new IOException("message of " + message.length + " bytes exceeds the " + maxFrameBytes + "-byte limit");
        }
        byte[] frame = crypt(Cipher.ENCRYPT_MODE, sendKey, sendCounter++, message);
        out.writeInt(frame.length);
        out.write(frame);
        out.flush();
    }

    /** Receives and decrypts one message; one reader thread only. A tampered or oversized frame throws. */
    public byte[] receive() throws IOException {
        int length = in.readInt();
        if (length < TAG_BITS / 8 || length > maxFrameBytes + TAG_BITS / 8) {
            throw new IOException("frame of " + length + " bytes refused");
        }
        byte[] frame = new byte[length];
        in.readFully(frame);
        return crypt(Cipher.DECRYPT_MODE, receiveKey, receiveCounter++, frame);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
    }

    private static byte[] crypt(int mode, SecretKeySpec key, long counter, byte[] input) throws IOException {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            byte[] iv = ByteBuffer.allocate(12).putInt(0).putLong(counter).array();
            cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, iv));
            return cipher.doFinal(input);
        } catch (GeneralSecurityException e) {
            throw new IOException("frame rejected: " + e.getClass().getSimpleName());
        }
    }

    private static byte[] helloHash(long chainId, byte[] ephemeralPublic, byte[] nonce) {
        return Keccak.hash(ByteBuffer.allocate(DOMAIN_TAG.length + 8 + 33 + 32).put(DOMAIN_TAG).putLong(chainId).put(ephemeralPublic)
                .put(nonce).array());
    }

    private static byte[] derive(byte[] secret, byte[] senderNonce, byte[] receiverNonce) {
        return Keccak.hash(ByteBuffer.allocate(8 + 32 + 64).put("flp1-key".getBytes(StandardCharsets.US_ASCII)).put(secret)
                .put(senderNonce).put(receiverNonce).array());
    }

    private static byte[] toBytes32(BigInteger value) {
        byte[] raw = value.toByteArray();
        byte[] out = new byte[32];
        int length = Math.min(32, raw.length);
        System.arraycopy(raw, raw.length - length, out, 32 - length, length);
        return out;
    }
}
