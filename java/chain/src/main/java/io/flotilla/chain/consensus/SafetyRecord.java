package io.flotilla.chain.consensus;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * What a member must remember across a crash so that it never signs two conflicting messages: the last round it
 * signed anything in at {@code height}, and its lock. The engine emits one before every message it signs
 * ({@link Effect.PersistSafety}); the adapter writes it durably before sending the message. After a restart within
 * that height the engine resumes in round {@code round + 1} with the lock, so it neither votes twice in a round nor
 * votes against its lock.
 *
 * @param lockedRound -1 when not locked
 */
public record SafetyRecord(long height, int round, int lockedRound, Optional<ProposedBlock> lockedValue) {

    public SafetyRecord {
        Objects.requireNonNull(lockedValue, "lockedValue");
        if (height < 0 || round < 0 || lockedRound < -1) throw new IllegalArgumentException("negative height or round");
        if (lockedValue.isPresent() != (lockedRound >= 0)) throw new IllegalArgumentException("lock without value or value without lock");
    }

    /** RLP [height, round, lockedRound + 1, lockedHash, lockedPayload]. */
    public byte[] encode() {
        byte[] hash = lockedValue.map(v -> v.hash().bytes()).orElse(new byte[0]);
        byte[] payload = lockedValue.map(ProposedBlock::payload).orElse(new byte[0]);
        return io.flotilla.evm.rlp.Rlp.encode(new RlpList(RlpString.create(height), RlpString.create(round), RlpString.create(lockedRound + 1L),
                RlpString.create(hash), RlpString.create(payload)));
    }

    public static SafetyRecord decode(byte[] encoded) {
        List<RlpType> f = ((RlpList) RlpDecoder.decode(encoded).getValues().get(0)).getValues();
        long height = ((RlpString) f.get(0)).asPositiveBigInteger().longValueExact();
        int round = ((RlpString) f.get(1)).asPositiveBigInteger().intValueExact();
        int lockedRound = ((RlpString) f.get(2)).asPositiveBigInteger().intValueExact() - 1;
        Optional<ProposedBlock> value = lockedRound < 0 ? Optional.empty()
                : Optional.of(new ProposedBlock(new BlockHash(((RlpString) f.get(3)).getBytes()), ((RlpString) f.get(4)).getBytes()));
        return new SafetyRecord(height, round, lockedRound, value);
    }
}
