package io.flotilla.chain.execution;

import java.math.BigInteger;

/**
 * Fixed parameters of a sidechain, set at genesis.
 * <p>Fee policy: the base fee is constant and equal to {@code minGasPrice} (zero allowed). The EVM then enforces
 * the minimum for every transaction type (legacy gasPrice and EIP-1559 maxFeePerGas must both reach it), EIP-1559
 * wallets see a well-formed baseFeePerGas, and fees do not swing with load on a chain that is elastic anyway.
 * The base-fee part of each fee is burnt as on Ethereum; tips go to the proposer.
 */
public record ChainConfig(long chainId, long gasLimit, BigInteger minGasPrice) {
    public static final long DEFAULT_GAS_LIMIT = 30_000_000L;

    public ChainConfig {
        if (chainId <= 0) throw new IllegalArgumentException("chain id must be positive");
        if (gasLimit < 21_000) throw new IllegalArgumentException("gas limit below one transfer");
        if (minGasPrice == null || minGasPrice.signum() < 0) throw new IllegalArgumentException("min gas price must be >= 0");
    }

    public BigInteger baseFee() {
        return minGasPrice;
    }
}
