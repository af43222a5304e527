package io.flotilla.chain.storage;

import io.flotilla.evm.state.Log;
import io.flotilla.evm.tx.Bloom;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * What a block stores per transaction beyond the transaction itself. Block hash, tx hash, sender and
 * indices are derived from the block when serving, so they are not duplicated here.
 * {@code contractAddress} is null unless the transaction created a contract. {@code bloom} is derived from the logs
 * (computed once: it is read for the block's bloom, the receipts trie and JSON-RPC).
 */
public record TxReceipt(
        int type,
        boolean success,
        long cumulativeGasUsed,
        long gasUsed,
        BigInteger effectiveGasPrice,
        Address contractAddress,
        List<Log> logs,
        byte[] bloom) {

    public TxReceipt {
        logs = List.copyOf(logs);
        if (bloom == null) bloom = Bloom.of(logs);
    }

    public TxReceipt(int type, boolean success, long cumulativeGasUsed, long gasUsed, BigInteger effectiveGasPrice,
            Address contractAddress, List<Log> logs) {
        this(type, success, cumulativeGasUsed, gasUsed, effectiveGasPrice, contractAddress, logs, null);
    }

    @Override
    public byte[] bloom() {
        return bloom.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TxReceipt r && type == r.type && success == r.success && cumulativeGasUsed == r.cumulativeGasUsed
                && gasUsed == r.gasUsed && java.util.Objects.equals(effectiveGasPrice, r.effectiveGasPrice)
                && java.util.Objects.equals(contractAddress, r.contractAddress) && logs.equals(r.logs);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(type, success, cumulativeGasUsed, gasUsed, effectiveGasPrice, contractAddress, logs);
    }

    /** The consensus encoding Ethereum puts in the receipts trie: type || rlp([status, cumulativeGas, bloom, logs]). */
    public byte[] consensusEncoding() {
        byte[] body = io.flotilla.evm.rlp.Rlp.encode(new RlpList(
                RlpString.create(success ? 1 : 0),
                RlpString.create(cumulativeGasUsed),
                RlpString.create(bloom),
                new RlpList(logs.stream().map(TxReceipt::logRlp).toList())));
        if (type == 0) return body;
        byte[] out = new byte[body.length + 1];
        out[0] = (byte) type;
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    static RlpType logRlp(Log l) {
        List<RlpType> topics = new ArrayList<>();
        for (Word t : l.topics()) topics.add(RlpString.create(t.toBytes()));
        return new RlpList(RlpString.create(l.address().toArray()), new RlpList(topics), RlpString.create(l.data()));
    }

}
