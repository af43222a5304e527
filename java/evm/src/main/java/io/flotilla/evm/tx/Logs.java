package io.flotilla.evm.tx;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.rlp.Rlp;
import io.flotilla.evm.state.Log;
import io.flotilla.evm.types.Word;
import java.util.ArrayList;
import java.util.List;
import org.web3j.rlp.RlpType;

/** RLP of logs and the "logs hash" the state tests compare: keccak(rlp([[address, [topics], data], ...])). */
public final class Logs {
    private Logs() {
    }

    public static byte[] rlp(List<Log> logs) {
        List<RlpType> items = new ArrayList<>();
        for (Log l : logs) {
            List<RlpType> topics = new ArrayList<>();
            for (Word t : l.topics()) topics.add(Rlp.bytes(t.toBytes()));
            items.add(Rlp.list(Rlp.bytes(l.address().toArray()), Rlp.list(topics), Rlp.bytes(l.data())));
        }
        return Rlp.encode(Rlp.list(items));
    }

    public static byte[] hash(List<Log> logs) {
        return Keccak.hash(rlp(logs));
    }
}
