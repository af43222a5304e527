package io.flotilla.chain.storage;

import io.flotilla.chain.tx.InvalidTransactionException;
import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.chain.tx.TxDecoder;
import java.util.ArrayList;
import java.util.List;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * A header and its ordered transactions. {@link #encode()} is the wire form consensus carries as an opaque
 * payload: rlp([headerEncoding, [rawTx, ...]]).
 */
public record Block(BlockHeader header, List<SignedTransaction> transactions) {
    public Block {
        transactions = List.copyOf(transactions);
    }

    public byte[] hash() {
        return header.hash();
    }

    public long number() {
        return header.number();
    }

    public byte[] encode() {
        List<RlpType> txs = new ArrayList<>();
        for (SignedTransaction tx : transactions) txs.add(RlpString.create(tx.raw()));
        return io.flotilla.evm.rlp.Rlp.encode(new RlpList(RlpString.create(header.encode()), new RlpList(txs)));
    }

    /**
     * Decodes a block received from a peer: every transaction's signature is checked and its sender recovered.
     * Structurally broken input fails with IllegalArgumentException.
     */
    public static Block decode(byte[] encoded, TxDecoder decoder) throws InvalidTransactionException {
        List<RlpType> parts = parts(encoded);
        if (!(parts.get(1) instanceof RlpList txList)) throw new IllegalArgumentException("not an encoded block: transactions");
        List<SignedTransaction> txs = new ArrayList<>();
        for (RlpType t : txList.getValues()) {
            if (!(t instanceof RlpString raw)) throw new IllegalArgumentException("not an encoded block: transaction");
            txs.add(decoder.decode(raw.getBytes()));
        }
        return new Block(headerOf(encoded), txs);
    }

    /** Only the header of an encoded block: cheap (no signature recovery), e.g. to learn the hash a payload must carry. */
    public static BlockHeader headerOf(byte[] encoded) {
        try {
            return BlockHeader.decode(((RlpString) parts(encoded).get(0)).getBytes());
        } catch (RuntimeException e) {
            // Payloads come from peers: any decoding failure is just a bad block.
            throw new IllegalArgumentException("not an encoded block: " + e.getMessage(), e);
        }
    }

    private static List<RlpType> parts(byte[] encoded) {
        List<RlpType> top;
        try {
            io.flotilla.chain.tx.RlpShape.requireShallow(encoded, 0, 8);
            top = RlpDecoder.decode(encoded).getValues();
        } catch (RuntimeException | StackOverflowError e) {
            throw new IllegalArgumentException("not an encoded block: bad rlp");
        }
        if (top.size() != 1 || !(top.get(0) instanceof RlpList l) || l.getValues().size() != 2) {
            throw new IllegalArgumentException("not an encoded block");
        }
        return l.getValues();
    }
}
