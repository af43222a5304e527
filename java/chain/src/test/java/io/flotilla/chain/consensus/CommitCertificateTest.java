package io.flotilla.chain.consensus;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.consensus.ConsensusMessage.Precommit;
import io.flotilla.chain.consensus.ConsensusMessage.Prevote;
import io.flotilla.chain.consensus.sim.Cluster;
import io.flotilla.chain.consensus.sim.SimApplication;
import io.flotilla.evm.crypto.Secp256k1;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Anyone holding the member set and chain id can check a certificate; forgeries fail. */
class CommitCertificateTest {
    private static final long CHAIN = 777;
    private static final MemberSet MEMBERS = new MemberSet(IntStream.range(0, 4).mapToObj(Cluster::address).toList());
    private static final BlockHash HASH = SimApplication.block(7, "a").hash();

    private static Signature precommit(int signer, long height, int round, BlockHash hash, long chainId) {
        return SignedMessage.sign(chainId, new Precommit(height, round, Optional.of(hash)), Cluster.key(signer)).signature();
    }

    private static Signature precommit(int signer) {
        return precommit(signer, 7, 1, HASH, CHAIN);
    }

    private static CommitCertificate cert(Signature... sigs) {
        return new CommitCertificate(7, 1, HASH, List.of(sigs));
    }

    @Test
    void aQuorumOfMemberPrecommitsVerifies() {
        assertTrue(CommitCertificate.verify(cert(precommit(0), precommit(1), precommit(2)), MEMBERS, CHAIN));
        assertTrue(CommitCertificate.verify(cert(precommit(3), precommit(1), precommit(2), precommit(0)), MEMBERS, CHAIN));
    }

    @Test
    void fewerThanAQuorumIsRejected() {
        assertFalse(CommitCertificate.verify(cert(precommit(0), precommit(1)), MEMBERS, CHAIN));
    }

    @Test
    void oneMemberSigningTwiceDoesNotMakeAQuorum() {
        assertFalse(CommitCertificate.verify(cert(precommit(0), precommit(0), precommit(1)), MEMBERS, CHAIN));
    }

    @Test
    void aNonMemberSignatureIsRejected() {
        assertFalse(CommitCertificate.verify(cert(precommit(0), precommit(1), precommit(9)), MEMBERS, CHAIN));
    }

    @Test
    void signaturesForAnotherBlockHeightRoundOrChainAreRejected() {
        BlockHash other = SimApplication.block(7, "b").hash();
        assertFalse(CommitCertificate.verify(new CommitCertificate(7, 1, other,
                List.of(precommit(0), precommit(1), precommit(2))), MEMBERS, CHAIN), "other block");
        assertFalse(CommitCertificate.verify(cert(precommit(0), precommit(1), precommit(2, 8, 1, HASH, CHAIN)),
                MEMBERS, CHAIN), "other height");
        assertFalse(CommitCertificate.verify(cert(precommit(0), precommit(1), precommit(2, 7, 0, HASH, CHAIN)),
                MEMBERS, CHAIN), "other round");
        assertFalse(CommitCertificate.verify(cert(precommit(0), precommit(1), precommit(2)), MEMBERS, CHAIN + 1),
                "other chain");
    }

    @Test
    void prevoteSignaturesAreNotPrecommits() {
        Signature prevote = SignedMessage.sign(CHAIN, new Prevote(7, 1, Optional.of(HASH)), Cluster.key(2)).signature();
        assertFalse(CommitCertificate.verify(cert(precommit(0), precommit(1), prevote), MEMBERS, CHAIN));
    }

    @Test
    void garbledOrMalleatedSignaturesAreRejected() {
        Signature good = precommit(2);
        Signature garbled = new Signature(good.r().add(java.math.BigInteger.ONE), good.s(), good.recId());
        Signature highS = new Signature(good.r(), Secp256k1.N.subtract(good.s()), 1 - good.recId());
        assertFalse(CommitCertificate.verify(cert(precommit(0), precommit(1), garbled), MEMBERS, CHAIN));
        assertFalse(CommitCertificate.verify(cert(precommit(0), precommit(1), highS), MEMBERS, CHAIN));
        assertTrue(CommitCertificate.problem(cert(precommit(0), precommit(1), highS), MEMBERS, CHAIN).isPresent());
    }
}
