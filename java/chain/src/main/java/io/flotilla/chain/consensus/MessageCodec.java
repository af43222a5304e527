package io.flotilla.chain.consensus;

import io.flotilla.chain.consensus.ConsensusMessage.Precommit;
import io.flotilla.chain.consensus.ConsensusMessage.Prevote;
import io.flotilla.chain.consensus.ConsensusMessage.Proposal;
import io.flotilla.evm.crypto.Keccak;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * Canonical RLP encodings. The signed bytes start with a domain tag and the chain id, so a
 * signature is worthless on another chain or for another purpose. A proposal's signature covers
 * the block hash only; the hash commits to the payload.
 */
public final class MessageCodec {
    private static final String DOMAIN = "flotilla/bft/v1";
    private static final int PROPOSAL = 0;
    private static final int PREVOTE = 1;
    private static final int PRECOMMIT = 2;

    private MessageCodec() {
    }

    /** keccak256 of the canonical signing bytes. */
    public static byte[] signingDigest(long chainId, ConsensusMessage m) {
        return Keccak.hash(signingBytes(chainId, m));
    }

    public static byte[] signingBytes(long chainId, ConsensusMessage m) {
        List<RlpType> items = new ArrayList<>(List.of(RlpString.create(DOMAIN), uint(chainId), uint(kind(m)),
                uint(m.height()), uint(m.round())));
        switch (m) {
            case Proposal p -> {
                items.add(RlpString.create(p.block().hash().bytes()));
                items.add(uint(p.validRound() + 1L)); // -1 (none) encodes as 0: RLP has no negatives
            }
            case ConsensusMessage.Vote v -> items.add(RlpString.create(v.value().map(BlockHash::bytes).orElse(new byte[0])));
        }
        return io.flotilla.evm.rlp.Rlp.encode(new RlpList(items));
    }

    /** Wire form: [chainId, kind, height, round, hashOrEmpty, validRound+1, payload, signature]. */
    public static byte[] encode(SignedMessage sm) {
        ConsensusMessage m = sm.message();
        byte[] hash = switch (m) {
            case Proposal p -> p.block().hash().bytes();
            case ConsensusMessage.Vote v -> v.value().map(BlockHash::bytes).orElse(new byte[0]);
        };
        long validRoundPlusOne = m instanceof Proposal p ? p.validRound() + 1L : 0;
        byte[] payload = m instanceof Proposal p ? p.block().payload() : new byte[0];
        return io.flotilla.evm.rlp.Rlp.encode(new RlpList(uint(sm.chainId()), uint(kind(m)), uint(m.height()), uint(m.round()),
                RlpString.create(hash), uint(validRoundPlusOne), RlpString.create(payload),
                RlpString.create(sm.signature().toBytes())));
    }

    /** Parses the wire form; throws IllegalArgumentException on anything malformed. */
    public static SignedMessage decode(byte[] wire) {
        try {
            io.flotilla.chain.tx.RlpShape.requireShallow(wire, 0, 8);
            List<RlpType> outer = RlpDecoder.decode(wire).getValues();
            if (outer.size() != 1 || !(outer.getFirst() instanceof RlpList list) || list.getValues().size() != 8) {
                throw new IllegalArgumentException("not a consensus message");
            }
            List<RlpType> v = list.getValues();
            long chainId = longAt(v, 0);
            int kind = Math.toIntExact(longAt(v, 1));
            long height = longAt(v, 2);
            int round = Math.toIntExact(longAt(v, 3));
            byte[] hash = bytesAt(v, 4);
            int validRound = Math.toIntExact(longAt(v, 5) - 1);
            byte[] payload = bytesAt(v, 6);
            Signature sig = Signature.fromBytes(bytesAt(v, 7));
            Optional<BlockHash> value = hash.length == 0 ? Optional.empty() : Optional.of(new BlockHash(hash));
            ConsensusMessage m = switch (kind) {
                case PROPOSAL -> new Proposal(height, round, new ProposedBlock(new BlockHash(hash), payload), validRound);
                case PREVOTE -> new Prevote(height, round, value);
                case PRECOMMIT -> new Precommit(height, round, value);
                default -> throw new IllegalArgumentException("unknown message kind " + kind);
            };
            return new SignedMessage(chainId, m, sig);
        } catch (RuntimeException e) {
            throw e instanceof IllegalArgumentException iae ? iae : new IllegalArgumentException("malformed message", e);
        }
    }

    private static int kind(ConsensusMessage m) {
        return switch (m) {
            case Proposal p -> PROPOSAL;
            case Prevote p -> PREVOTE;
            case Precommit p -> PRECOMMIT;
        };
    }

    private static RlpString uint(long v) {
        if (v < 0) throw new IllegalArgumentException("negative field " + v);
        return RlpString.create(v);
    }

    private static long longAt(List<RlpType> v, int i) {
        return ((RlpString) v.get(i)).asPositiveBigInteger().longValueExact();
    }

    private static byte[] bytesAt(List<RlpType> v, int i) {
        return ((RlpString) v.get(i)).getBytes();
    }
}
