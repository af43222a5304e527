package io.flotilla.chain.storage;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * A sidechain block header. The hash is keccak(rlp(all fields except {@code commitCertificate})): the
 * certificate holds the validators' signatures over that very hash, so it cannot be part of it (as in IBFT).
 * {@code extraData} is hashed and free for the consensus engine (round, validator-set digest, ...).
 */
public record BlockHeader(
        byte[] parentHash,
        long number,
        long timestamp,
        byte[] stateRoot,
        byte[] transactionsRoot,
        byte[] receiptsRoot,
        byte[] logsBloom,
        long gasLimit,
        long gasUsed,
        BigInteger baseFeePerGas,
        Address proposer,
        byte[] extraData,
        byte[] commitCertificate) {

    public byte[] hash() {
        return Keccak.hash(io.flotilla.evm.rlp.Rlp.encode(new RlpList(hashedFields())));
    }

    /** The same header carrying a (new) commit certificate; the hash does not change. */
    public BlockHeader withCommitCertificate(byte[] certificate) {
        return new BlockHeader(parentHash, number, timestamp, stateRoot, transactionsRoot, receiptsRoot, logsBloom,
                gasLimit, gasUsed, baseFeePerGas, proposer, extraData, certificate);
    }

    private List<RlpType> hashedFields() {
        return List.of(
                RlpString.create(parentHash),
                RlpString.create(number),
                RlpString.create(timestamp),
                RlpString.create(stateRoot),
                RlpString.create(transactionsRoot),
                RlpString.create(receiptsRoot),
                RlpString.create(logsBloom),
                RlpString.create(gasLimit),
                RlpString.create(gasUsed),
                RlpString.create(baseFeePerGas),
                RlpString.create(proposer.toArray()),
                RlpString.create(extraData));
    }

    /** Storage/wire form: the hashed fields followed by the certificate. */
    public byte[] encode() {
        List<RlpType> all = new java.util.ArrayList<>(hashedFields());
        all.add(RlpString.create(commitCertificate));
        return io.flotilla.evm.rlp.Rlp.encode(new RlpList(all));
    }

    public static BlockHeader decode(byte[] encoded) {
        List<RlpType> f = ((RlpList) RlpDecoder.decode(encoded).getValues().get(0)).getValues();
        return new BlockHeader(b(f, 0), n(f, 1), n(f, 2), b(f, 3), b(f, 4), b(f, 5), b(f, 6), n(f, 7), n(f, 8),
                ((RlpString) f.get(9)).asPositiveBigInteger(), Address.of(b(f, 10)), b(f, 11), b(f, 12));
    }

    private static byte[] b(List<RlpType> f, int i) {
        return ((RlpString) f.get(i)).getBytes();
    }

    private static long n(List<RlpType> f, int i) {
        return ((RlpString) f.get(i)).asPositiveBigInteger().longValueExact();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockHeader h && Arrays.equals(encode(), h.encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(hash());
    }

    @Override
    public String toString() {
        return "BlockHeader#" + number;
    }
}
