package io.flotilla.chain.consensus;

import io.flotilla.evm.types.Address;
import java.util.Objects;
import java.util.Optional;

/**
 * A consensus message as it travels. The sender is not carried: it is recovered from the
 * signature, so it cannot be claimed falsely. The chain id is carried so a wrong-chain message
 * can be told apart from a bad signature.
 */
public record SignedMessage(long chainId, ConsensusMessage message, Signature signature) {
    public SignedMessage {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(signature, "signature");
    }

    public static SignedMessage sign(long chainId, ConsensusMessage message, MessageSigner signer) {
        return new SignedMessage(chainId, message, signer.sign(MessageCodec.signingDigest(chainId, message)));
    }

    public byte[] digest() {
        return MessageCodec.signingDigest(chainId, message);
    }

    /** The signer, or empty when the signature does not verify. Costs one EC recovery. */
    public Optional<Address> recoverSigner() {
        try {
            return signature.recover(digest());
        } catch (RuntimeException e) {
            return Optional.empty(); // e.g. a negative field that has no canonical encoding
        }
    }
}
