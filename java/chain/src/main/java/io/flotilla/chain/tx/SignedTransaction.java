package io.flotilla.chain.tx;

import io.flotilla.evm.tx.AccessListEntry;
import io.flotilla.evm.tx.Transaction;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import java.math.BigInteger;
import java.util.List;

/**
 * A decoded, signature-checked transaction. {@code raw} is the exact wire encoding (what eth_sendRawTransaction
 * received and what a block body stores); {@code hash} is keccak(raw), the hash every client computes.
 * Types: 0 legacy, 1 EIP-2930, 2 EIP-1559. For types 0/1 {@code gasPrice} is set and the fee caps equal it;
 * for type 2 {@code gasPrice} is null. {@code chainId} is null only for unprotected (pre-EIP-155) legacy
 * transactions. {@code v} is the legacy v value, or the y-parity for typed transactions.
 */
public record SignedTransaction(
        int type,
        Long chainId,
        long nonce,
        BigInteger gasPrice,
        BigInteger maxPriorityFeePerGas,
        BigInteger maxFeePerGas,
        long gasLimit,
        Address to,
        BigInteger value,
        byte[] data,
        List<AccessListEntry> accessList,
        BigInteger v,
        BigInteger r,
        BigInteger s,
        Address sender,
        byte[] hash,
        byte[] raw) {

    public boolean isCreate() {
        return to == null;
    }

    /** The most this transaction may pay per gas. */
    public BigInteger feeCap() {
        return type == 2 ? maxFeePerGas : gasPrice;
    }

    /** The most this transaction offers the proposer per gas on top of the base fee. */
    public BigInteger tipCap() {
        return type == 2 ? maxPriorityFeePerGas : gasPrice;
    }

    /** What one gas actually costs under the given base fee (EIP-1559 rules; legacy pays its price). */
    public BigInteger effectiveGasPrice(BigInteger baseFee) {
        return type == 2 ? maxFeePerGas.min(baseFee.add(maxPriorityFeePerGas)) : gasPrice;
    }

    /** gas * feeCap + value: the balance the sender must hold up front. */
    public BigInteger maxCost() {
        return BigInteger.valueOf(gasLimit).multiply(feeCap()).add(value);
    }

    public String hashHex() {
        return Hex.encode(hash);
    }

    /** The EVM's view of this transaction (the sender is already recovered). */
    public Transaction toEvm() {
        return new Transaction(type, sender, nonce, BigInteger.valueOf(gasLimit),
                type == 2 ? null : gasPrice,
                type == 2 ? maxFeePerGas : null,
                type == 2 ? maxPriorityFeePerGas : null,
                to, value, data, accessList, null, List.of());
    }
}
