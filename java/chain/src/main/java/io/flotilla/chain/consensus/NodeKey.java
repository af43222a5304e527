package io.flotilla.chain.consensus;

import io.flotilla.evm.crypto.Secp256k1;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;

/** An in-memory secp256k1 node key. Deterministic (RFC 6979) nonces: no RNG needed, none to get wrong. */
public final class NodeKey implements MessageSigner {
    private static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256k1");
    private static final ECDomainParameters DOMAIN =
            new ECDomainParameters(CURVE.getCurve(), CURVE.getG(), CURVE.getN(), CURVE.getH());

    private final BigInteger privateKey;
    private final Address address;

    public NodeKey(BigInteger privateKey) {
        if (privateKey.signum() <= 0 || privateKey.compareTo(Secp256k1.N) >= 0) {
            throw new IllegalArgumentException("private key out of range");
        }
        this.privateKey = privateKey;
        this.address = Secp256k1.addressOf(privateKey);
    }

    @Override
    public Address address() {
        return address;
    }

    @Override
    public Signature sign(byte[] digest) {
        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
        signer.init(true, new ECPrivateKeyParameters(privateKey, DOMAIN));
        BigInteger[] rs = signer.generateSignature(digest);
        BigInteger r = rs[0];
        BigInteger s = rs[1];
        // Low-s form: the (r, N-s) twin would be a second valid encoding of the same vote.
        if (s.compareTo(Secp256k1.N.shiftRight(1)) > 0) s = Secp256k1.N.subtract(s);
        for (int recId = 0; recId <= 1; recId++) {
            if (Secp256k1.recover(digest, recId, r, s).filter(address::equals).isPresent()) {
                return new Signature(r, s, recId);
            }
        }
        throw new IllegalStateException("no recovery id reproduces the signer");
    }

    @Override
    public String toString() {
        return "NodeKey[" + address + "]";
    }
}
