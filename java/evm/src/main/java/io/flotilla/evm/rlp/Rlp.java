package io.flotilla.evm.rlp;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpEncoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/** Thin facade over web3j's RLP so the rest of the module speaks byte arrays and longs. */
public final class Rlp {
    private Rlp() {
    }

    public static RlpType bytes(byte[] b) {
        return RlpString.create(b);
    }

    public static RlpType uint(long v) {
        return RlpString.create(new BigInteger(Long.toUnsignedString(v)));
    }

    public static RlpType uint(BigInteger v) {
        return RlpString.create(v);
    }

    public static RlpType list(RlpType... items) {
        return new RlpList(items);
    }

    public static RlpType list(List<RlpType> items) {
        return new RlpList(items);
    }

    public static byte[] encode(RlpType t) {
        return RlpEncoder.encode(t);
    }

    /** Wraps an already RLP-encoded item so it can be nested verbatim (trie nodes embed short children). */
    public static RlpType raw(byte[] encoded) {
        return RlpDecoder.decode(encoded).getValues().get(0);
    }

    public static List<RlpType> decodeList(byte[] encoded) {
        RlpType top = RlpDecoder.decode(encoded).getValues().get(0);
        if (!(top instanceof RlpList l)) throw new IllegalArgumentException("not an RLP list");
        return new ArrayList<>(l.getValues());
    }
}
