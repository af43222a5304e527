package io.flotilla.chain.p2p;

import io.flotilla.evm.crypto.Secp256k1;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.util.Optional;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;

/**
 * Signs 32-byte hashes with a node's secp256k1 key, Ethereum style: 65 bytes r || s || v with v = 0 or 1 and
 * low s, deterministic (RFC 6979) so no randomness is needed. Anyone recovers the signer's address.
 */
public final class NodeSigner {

    private static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256k1");
    private static final ECDomainParameters DOMAIN = new ECDomainParameters(CURVE.getCurve(), CURVE.getG(), CURVE.getN(), CURVE.getH());
    private static final BigInteger HALF_N = CURVE.getN().shiftRight(1);

    private final BigInteger privateKey;
    private final Address address;

    public NodeSigner(BigInteger privateKey) {
        if (privateKey.signum() <= 0 || privateKey.compareTo(CURVE.getN()) >= 0) {
            throw new IllegalArgumentException("not a secp256k1 private key");
        }
        this.privateKey = privateKey;
        this.address = Secp256k1.addressOf(privateKey);
    }

    public Address address() {
        return address;
    }

    public byte[] sign(byte[] hash) {
        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
        signer.init(true, new ECPrivateKeyParameters(privateKey, DOMAIN));
        BigInteger[] rs = signer.generateSignature(hash);
        BigInteger r = rs[0];
        BigInteger s = rs[1].compareTo(HALF_N) > 0 ? CURVE.getN().subtract(rs[1]) : rs[1];
        for (int v = 0; v < 2; v++) {
            if (Secp256k1.recover(hash, v, r, s).filter(address::equals).isPresent()) {
                byte[] out = new byte[65];
                copy32(r, out, 0);
                copy32(s, out, 32);
                out[64] = (byte) v;
                return out;
            }
        }
        throw new IllegalStateException("signature not recoverable");
    }

    /** The address that made {@code signature} (65 bytes r || s || v, v in {0, 1, 27, 28}) over {@code hash}. */
    public static Optional<Address> recover(byte[] hash, byte[] signature) {
        if (hash.length != 32 || signature.length != 65) {
            return Optional.empty();
        }
        int v = signature[64] & 0xff;
        if (v >= 27) {
            v -= 27;
        }
        BigInteger r = new BigInteger(1, java.util.Arrays.copyOfRange(signature, 0, 32));
        BigInteger s = new BigInteger(1, java.util.Arrays.copyOfRange(signature, 32, 64));
        if (s.compareTo(HALF_N) > 0) {
            return Optional.empty(); // high s is malleable
        }
        return Secp256k1.recover(hash, v, r, s);
    }

    private static void copy32(BigInteger value, byte[] out, int offset) {
        byte[] raw = value.toByteArray();
        int length = Math.min(32, raw.length);
        System.arraycopy(raw, raw.length - length, out, offset + 32 - length, length);
    }
}
