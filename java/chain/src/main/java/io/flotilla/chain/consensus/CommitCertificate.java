package io.flotilla.chain.consensus;

import io.flotilla.chain.consensus.ConsensusMessage.Precommit;
import io.flotilla.evm.types.Address;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * Proof that a block was decided: a quorum of members' PRECOMMIT(height, round, blockHash)
 * signatures. Self-contained, so a syncing node or a light client can check it with only the
 * member set and the chain id.
 */
public record CommitCertificate(long height, int round, BlockHash blockHash, List<Signature> signatures) {
    public CommitCertificate {
        Objects.requireNonNull(blockHash, "blockHash");
        signatures = List.copyOf(signatures);
    }

    /** True when at least a quorum of distinct members signed, and every signature is a member's. */
    public static boolean verify(CommitCertificate cert, MemberSet members, long chainId) {
        return problem(cert, members, chainId).isEmpty();
    }

    /** Why a certificate fails verification, or empty when it is valid. */
    public static Optional<String> problem(CommitCertificate cert, MemberSet members, long chainId) {
        if (cert.height() < 0 || cert.round() < 0) return Optional.of("negative height or round");
        if (cert.signatures().size() < members.quorum()) {
            return Optional.of("only " + cert.signatures().size() + " signatures, quorum is " + members.quorum());
        }
        byte[] digest = MessageCodec.signingDigest(chainId,
                new Precommit(cert.height(), cert.round(), Optional.of(cert.blockHash())));
        Set<Address> signers = new HashSet<>();
        for (Signature sig : cert.signatures()) {
            Optional<Address> signer = sig.recover(digest);
            // Strict: an honest engine never emits a bad entry, so any bad entry means tampering.
            if (signer.isEmpty()) return Optional.of("a signature does not verify");
            if (!members.contains(signer.get())) return Optional.of("signer " + signer.get() + " is not a member");
            if (!signers.add(signer.get())) return Optional.of("signer " + signer.get() + " appears twice");
        }
        return Optional.empty();
    }

    /** RLP [height, round, blockHash, [signature...]]: the form stored with each block, so anyone can verify it. */
    public byte[] encode() {
        List<RlpType> sigs = new ArrayList<>();
        for (Signature s : signatures) sigs.add(RlpString.create(s.toBytes()));
        return io.flotilla.evm.rlp.Rlp.encode(new RlpList(RlpString.create(height),
                RlpString.create(round), RlpString.create(blockHash.bytes()), new RlpList(sigs)));
    }

    /** The certificate {@link #encode()} wrote; IllegalArgumentException for anything else. */
    public static CommitCertificate decode(byte[] encoded) {
        try {
            List<RlpType> f = ((RlpList) RlpDecoder.decode(encoded).getValues().get(0)).getValues();
            List<Signature> sigs = new ArrayList<>();
            for (RlpType t : ((RlpList) f.get(3)).getValues()) {
                sigs.add(Signature.fromBytes(((RlpString) t).getBytes()));
            }
            return new CommitCertificate(((RlpString) f.get(0)).asPositiveBigInteger().longValueExact(),
                    ((RlpString) f.get(1)).asPositiveBigInteger().intValueExact(),
                    new BlockHash(((RlpString) f.get(2)).getBytes()), sigs);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not an encoded commit certificate", e);
        }
    }
}
