package io.flotilla.evm.tx;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.util.List;

/**
 * A transaction whose sender is already known (signature recovery is the caller's concern).
 * {@code type}: 0 legacy, 1 access list, 2 fee market, 3 blob. Legacy and type-1 transactions use
 * {@code gasPrice}; types 2 and 3 use {@code maxFeePerGas}/{@code maxPriorityFeePerGas}.
 * {@code to} is null for contract creation. Amounts are BigInteger because inputs may exceed 256 bits' checks.
 */
public record Transaction(
        int type,
        Address sender,
        long nonce,
        BigInteger gasLimit,
        BigInteger gasPrice,
        BigInteger maxFeePerGas,
        BigInteger maxPriorityFeePerGas,
        Address to,
        BigInteger value,
        byte[] data,
        List<AccessListEntry> accessList,
        BigInteger maxFeePerBlobGas,
        List<Word> blobVersionedHashes) {

    public boolean isCreate() {
        return to == null;
    }
}
