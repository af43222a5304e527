package io.flotilla.subnode.config;

import java.math.BigInteger;
import java.util.Map;
import java.util.TreeMap;

/**
 * @param owner the chain owner's address
 * @param alloc address (lower case) to balance in wei, prefunded at genesis
 * @param gasLimit the block gas limit
 * @param minGasPriceWei the fixed minimum gas price (1 gwei unless the config says otherwise; zero only when it says so)
 * @param maxTxBytes the largest raw transaction admitted (1 KiB to 1 MiB, default 128 KiB)
 * @param maxBlockBytes the largest block (64 KiB to 3 MiB, default 2 MiB: under the peer frame limit)
 */
public record Genesis(String owner, Map<String, BigInteger> alloc, long gasLimit, BigInteger minGasPriceWei, int maxTxBytes,
                      int maxBlockBytes) {

    public static final long DEFAULT_GAS_LIMIT = 30_000_000L;
    public static final BigInteger DEFAULT_MIN_GAS_PRICE_WEI = BigInteger.valueOf(1_000_000_000L);
    public static final int DEFAULT_MAX_TX_BYTES = 128 * 1024;
    public static final int DEFAULT_MAX_BLOCK_BYTES = 2 * 1024 * 1024;
    public static final int MIN_TX_BYTES = 1024;
    public static final int MAX_TX_BYTES = 1 << 20;
    public static final int MIN_BLOCK_BYTES = 64 * 1024;
    public static final int MAX_BLOCK_BYTES = 3 << 20;

    public Genesis {
        owner = Check.address("owner", owner);
        Check.notNull("alloc", alloc);
        Map<String, BigInteger> sorted = new TreeMap<>();
        alloc.forEach((address, wei) -> {
            String a = Check.address("alloc", address);
            Check.notNull("alloc." + a, wei);
            if (wei.signum() < 0) throw new ConfigException("alloc." + a, "is not an amount of wei: " + wei);
            sorted.put(a, wei);
        });
        alloc = java.util.Collections.unmodifiableMap(sorted);
        Check.positive("gasLimit", gasLimit);
        Check.notNull("minGasPriceWei", minGasPriceWei);
        if (minGasPriceWei.signum() < 0) throw new ConfigException("minGasPriceWei", "is not an amount of wei: " + minGasPriceWei);
        Check.range("maxTxBytes", maxTxBytes, MIN_TX_BYTES, MAX_TX_BYTES);
        Check.range("maxBlockBytes", maxBlockBytes, MIN_BLOCK_BYTES, MAX_BLOCK_BYTES);
    }

    /** A genesis with the default gas limit, minimum gas price and size limits. */
    public static Genesis withDefaults(String owner, Map<String, BigInteger> alloc) {
        return new Genesis(owner, alloc, DEFAULT_GAS_LIMIT, DEFAULT_MIN_GAS_PRICE_WEI, DEFAULT_MAX_TX_BYTES, DEFAULT_MAX_BLOCK_BYTES);
    }
}
