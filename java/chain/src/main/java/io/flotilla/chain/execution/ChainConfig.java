package io.flotilla.chain.execution;

import java.math.BigInteger;
import java.time.Duration;

/**
 * Fixed parameters of a sidechain, set at genesis.
 * <p>Fee policy: the base fee is constant and equal to {@code minGasPrice}. The EVM then enforces the minimum for
 * every transaction type (legacy gasPrice and EIP-1559 maxFeePerGas must both reach it), EIP-1559 wallets see a
 * well-formed baseFeePerGas, and fees do not swing with load on a chain that is elastic anyway. The base-fee part
 * of each fee is burnt as on Ethereum; tips go to the proposer. The default minimum is {@link #DEFAULT_MIN_GAS_PRICE}
 * (1 gwei): the owner receives the chain's coin at genesis and hands it out, and every byte and every unit of gas a
 * stranger makes the members process costs the stranger something. Zero is allowed as an explicit choice: a free
 * chain then relies on the pool's per-sender and total limits alone (docs/chain.md, "Admission").
 * <p>Size bounds: {@code maxTxBytes} caps one raw transaction (as geth's 128 KiB), {@code maxBlockBytes} caps the
 * encoded block, with a wide margin under the peer network's 4 MiB frame, so a proposal, a block served to a
 * member catching up and a block message can never be too large to send. {@code executionBudget} is the wall time a
 * proposer spends executing the transactions of one block: past it, it stops adding transactions.
 */
public record ChainConfig(long chainId, long gasLimit, BigInteger minGasPrice, int maxTxBytes, int maxBlockBytes,
                          Duration executionBudget) {
    public static final long DEFAULT_GAS_LIMIT = 30_000_000L;
    public static final BigInteger DEFAULT_MIN_GAS_PRICE = BigInteger.valueOf(1_000_000_000L);
    public static final int DEFAULT_MAX_TX_BYTES = 128 * 1024;
    public static final int DEFAULT_MAX_BLOCK_BYTES = 2 * 1024 * 1024;
    public static final Duration DEFAULT_EXECUTION_BUDGET = Duration.ofSeconds(1);
    static final int HEADER_ALLOWANCE = 64 * 1024;

    public ChainConfig {
        if (chainId <= 0) throw new IllegalArgumentException("chain id must be positive");
        if (gasLimit < 21_000) throw new IllegalArgumentException("gas limit below one transfer");
        if (minGasPrice == null || minGasPrice.signum() < 0) throw new IllegalArgumentException("min gas price must be >= 0");
        if (maxTxBytes < 1024) throw new IllegalArgumentException("max transaction size below 1 KiB: " + maxTxBytes);
        if (maxBlockBytes < 2 * maxTxBytes) {
            throw new IllegalArgumentException("max block size " + maxBlockBytes + " must hold two maximal transactions of " + maxTxBytes);
        }
        if (maxBlockBytes > 3 * 1024 * 1024) throw new IllegalArgumentException("max block size above 3 MiB: " + maxBlockBytes);
        if (executionBudget == null || executionBudget.isNegative() || executionBudget.isZero()) {
            throw new IllegalArgumentException("execution budget must be positive");
        }
    }

    /** A chain with the default size limits and execution budget. */
    public ChainConfig(long chainId, long gasLimit, BigInteger minGasPrice) {
        this(chainId, gasLimit, minGasPrice, DEFAULT_MAX_TX_BYTES, DEFAULT_MAX_BLOCK_BYTES, DEFAULT_EXECUTION_BUDGET);
    }

    /**
     * How long the first transaction of a block may run on its proposer (four execution budgets): a transaction
     * that needs longer (its gas executed at under a quarter of the speed a full block needs) is too expensive for
     * this chain, and dropped.
     */
    public Duration maxTxExecution() {
        return executionBudget.multipliedBy(4);
    }

    /**
     * What the transactions of one block may add up to, as counted by {@link #bodyBytes}: the block size limit less
     * an allowance for the header with its member list and commit certificate, which never come near 64 KiB.
     */
    public long maxBodyBytes() {
        return maxBlockBytes - HEADER_ALLOWANCE;
    }

    /** A transaction's share of a block body: its raw bytes and the RLP header around them. */
    public static long bodyBytes(io.flotilla.chain.tx.SignedTransaction tx) {
        return tx.raw().length + 8L;
    }

    public BigInteger baseFee() {
        return minGasPrice;
    }
}
