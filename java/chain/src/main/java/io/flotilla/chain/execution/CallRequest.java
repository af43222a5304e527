package io.flotilla.chain.execution;

import io.flotilla.evm.types.Address;
import java.math.BigInteger;

/**
 * A message call against the latest state (eth_call / eth_estimateGas). Null {@code from} means the zero
 * address, null {@code to} a contract creation, null {@code gas} the block gas limit.
 */
public record CallRequest(Address from, Address to, Long gas, BigInteger gasPrice, BigInteger value, byte[] data) {
    public CallRequest {
        if (from == null) from = Address.of(new byte[20]);
        if (gasPrice == null) gasPrice = BigInteger.ZERO;
        if (value == null) value = BigInteger.ZERO;
        if (data == null) data = new byte[0];
    }
}
