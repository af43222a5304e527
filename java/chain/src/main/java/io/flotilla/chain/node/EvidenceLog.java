package io.flotilla.chain.node;

import io.flotilla.chain.consensus.ConsensusMessage;
import io.flotilla.chain.consensus.Equivocation;
import io.flotilla.chain.consensus.MessageCodec;
import io.flotilla.chain.consensus.ProposedBlock;
import io.flotilla.chain.consensus.SignedMessage;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.tx.RlpShape;
import io.flotilla.evm.types.Address;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * Equivocation evidence kept beside the chain (one meta record of the store), so the manager contracts can later
 * slash on it: the last {@link #MAX_PIECES} pieces, one per (signer, height, round, kind). A proposal is kept
 * without its block payload: the signature covers the block hash only, so the evidence still verifies
 * ({@link Equivocation#verify}) and each piece stays a few hundred bytes.
 *
 * <p>Written on the replica's loop thread only; read from any thread.
 */
public final class EvidenceLog {

    static final String RECORD = "equivocations";
    public static final int MAX_PIECES = 1_000;

    /** One stored piece: who signed the two conflicting messages (wire form, {@link MessageCodec#encode}). */
    public record Piece(Address signer, byte[] first, byte[] second) {
        public SignedMessage firstMessage() {
            return MessageCodec.decode(first);
        }

        public SignedMessage secondMessage() {
            return MessageCodec.decode(second);
        }

        String slot() {
            ConsensusMessage m = firstMessage().message();
            return signer + "/" + m.height() + "/" + m.round() + "/" + kind(m);
        }
    }

    private EvidenceLog() {
    }

    /** Adds a piece unless one for the same signer, height, round and kind is kept; drops the oldest beyond the bound. */
    static boolean keep(ChainState chain, Equivocation e) {
        Piece piece = new Piece(e.member(), MessageCodec.encode(stripped(e.first())), MessageCodec.encode(stripped(e.second())));
        List<Piece> pieces = new ArrayList<>(list(chain));
        String slot = piece.slot();
        if (pieces.stream().anyMatch(p -> p.slot().equals(slot))) return false;
        pieces.add(piece);
        while (pieces.size() > MAX_PIECES) pieces.removeFirst();
        chain.saveRecord(RECORD, encode(pieces));
        return true;
    }

    /** The kept pieces, oldest first (empty when none or unreadable). */
    public static List<Piece> list(ChainState chain) {
        Optional<byte[]> raw = chain.record(RECORD);
        if (raw.isEmpty()) return List.of();
        try {
            RlpShape.requireShallow(raw.get(), 0, 3);
            List<Piece> out = new ArrayList<>();
            for (RlpType t : ((RlpList) RlpDecoder.decode(raw.get()).getValues().get(0)).getValues()) {
                List<RlpType> f = ((RlpList) t).getValues();
                out.add(new Piece(Address.of(((RlpString) f.get(0)).getBytes()), ((RlpString) f.get(1)).getBytes(),
                        ((RlpString) f.get(2)).getBytes()));
            }
            return out;
        } catch (RuntimeException ex) {
            return List.of();
        }
    }

    /** The JSON-RPC form of {@code flotilla_equivocations}: oldest first. */
    public static List<Map<String, Object>> json(ChainState chain) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Piece p : list(chain)) {
            ConsensusMessage m = p.firstMessage().message();
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("height", "0x" + Long.toHexString(m.height()));
            j.put("round", "0x" + Integer.toHexString(m.round()));
            j.put("kind", kind(m));
            j.put("signer", p.signer().toString());
            j.put("first", hex(p.first()));
            j.put("second", hex(p.second()));
            out.add(j);
        }
        return out;
    }

    private static SignedMessage stripped(SignedMessage sm) {
        if (!(sm.message() instanceof ConsensusMessage.Proposal p)) return sm;
        ConsensusMessage.Proposal bare = new ConsensusMessage.Proposal(p.height(), p.round(),
                new ProposedBlock(p.block().hash(), new byte[0]), p.validRound());
        return new SignedMessage(sm.chainId(), bare, sm.signature());
    }

    private static String kind(ConsensusMessage m) {
        return switch (m) {
            case ConsensusMessage.Proposal p -> "proposal";
            case ConsensusMessage.Prevote p -> "prevote";
            case ConsensusMessage.Precommit p -> "precommit";
            case ConsensusMessage.Certificate c -> "certificate";
            case ConsensusMessage.NewRound n -> "new-round";
        };
    }

    private static byte[] encode(List<Piece> pieces) {
        return io.flotilla.evm.rlp.Rlp.encode(new RlpList(pieces.stream().map(p -> (RlpType) new RlpList(RlpString.create(p.signer().toArray()),
                RlpString.create(p.first()), RlpString.create(p.second()))).toList()));
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder(2 + 2 * b.length).append("0x");
        for (byte x : b) s.append(Character.forDigit((x >> 4) & 15, 16)).append(Character.forDigit(x & 15, 16));
        return s.toString();
    }
}
