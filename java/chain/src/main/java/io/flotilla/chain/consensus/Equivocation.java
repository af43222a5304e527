package io.flotilla.chain.consensus;

import io.flotilla.evm.types.Address;
import java.util.Optional;

/**
 * Evidence that {@code member} signed two different messages of one kind for one (height, round):
 * two votes for different values, or two proposals of different blocks. Checkable by anyone.
 */
public record Equivocation(Address member, SignedMessage first, SignedMessage second) {

    public static boolean verify(Equivocation e, long chainId) {
        ConsensusMessage a = e.first().message();
        ConsensusMessage b = e.second().message();
        boolean sameSlot = a.getClass() == b.getClass() && a.height() == b.height() && a.round() == b.round();
        return e.first().chainId() == chainId && e.second().chainId() == chainId && sameSlot && conflicting(a, b)
                && signedBy(e.first(), e.member()) && signedBy(e.second(), e.member());
    }

    /** Only called for two messages of the same kind. */
    private static boolean conflicting(ConsensusMessage a, ConsensusMessage b) {
        return switch (a) {
            case ConsensusMessage.Proposal p -> !p.block().hash().equals(((ConsensusMessage.Proposal) b).block().hash());
            case ConsensusMessage.Vote v -> !v.value().equals(((ConsensusMessage.Vote) b).value());
            // A certificate's content is others' votes and a round change carries no value: neither can conflict.
            case ConsensusMessage.Certificate c -> false;
            case ConsensusMessage.NewRound r -> false;
        };
    }

    private static boolean signedBy(SignedMessage m, Address member) {
        Optional<Address> signer = m.recoverSigner();
        return signer.isPresent() && signer.get().equals(member);
    }
}
