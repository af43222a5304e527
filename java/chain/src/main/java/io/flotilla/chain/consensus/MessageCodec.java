package io.flotilla.chain.consensus;

import io.flotilla.chain.consensus.ConsensusMessage.Certificate;
import io.flotilla.chain.consensus.ConsensusMessage.NewRound;
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
    private static final int CERTIFICATE = 3;
    private static final int NEW_ROUND = 4;

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
            case Certificate c -> {
                items.add(RlpString.create(c.blockHash().bytes()));
                items.add(uint(c.step().ordinal()));
                items.add(RlpString.create(Keccak.hash(joined(c.signatures()))));
            }
            case NewRound n -> {
            }
        }
        return io.flotilla.evm.rlp.Rlp.encode(new RlpList(items));
    }

    /** Wire form: [chainId, kind, height, round, hashOrEmpty, validRound+1, payload, signature]. */
    public static byte[] encode(SignedMessage sm) {
        ConsensusMessage m = sm.message();
        byte[] hash = switch (m) {
            case Proposal p -> p.block().hash().bytes();
            case ConsensusMessage.Vote v -> v.value().map(BlockHash::bytes).orElse(new byte[0]);
            case Certificate c -> c.blockHash().bytes();
            case NewRound n -> new byte[0];
        };
        // A certificate carries its step where a proposal carries validRound + 1, and its signatures as the payload.
        long validRoundPlusOne = m instanceof Proposal p ? p.validRound() + 1L : m instanceof Certificate c ? c.step().ordinal() : 0;
        byte[] payload = m instanceof Proposal p ? p.block().payload() : m instanceof Certificate c ? joined(c.signatures()) : new byte[0];
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
                case CERTIFICATE -> new Certificate(height, round, stepOf(validRound + 1), new BlockHash(hash), split(payload));
                case NEW_ROUND -> new NewRound(height, round);
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
            case Certificate c -> CERTIFICATE;
            case NewRound n -> NEW_ROUND;
        };
    }

    private static Step stepOf(int ordinal) {
        if (ordinal != Step.PREVOTE.ordinal() && ordinal != Step.PRECOMMIT.ordinal()) throw new IllegalArgumentException("bad certificate step");
        return Step.values()[ordinal];
    }

    private static byte[] joined(List<Signature> sigs) {
        byte[] out = new byte[sigs.size() * Signature.LENGTH];
        for (int i = 0; i < sigs.size(); i++) System.arraycopy(sigs.get(i).toBytes(), 0, out, i * Signature.LENGTH, Signature.LENGTH);
        return out;
    }

    private static List<Signature> split(byte[] joined) {
        if (joined.length % Signature.LENGTH != 0) throw new IllegalArgumentException("certificate signatures are not 65-byte items");
        List<Signature> out = new ArrayList<>();
        for (int i = 0; i < joined.length; i += Signature.LENGTH) {
            out.add(Signature.fromBytes(java.util.Arrays.copyOfRange(joined, i, i + Signature.LENGTH)));
        }
        return out;
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
