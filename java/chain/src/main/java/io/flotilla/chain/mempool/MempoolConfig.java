package io.flotilla.chain.mempool;

/**
 * Pool limits. {@code priceBumpPercent}: a replacement (same sender and nonce) must raise both fee caps by at
 * least this much, so replacing cannot be used to spam the pool for free (geth uses 10). The defaults let one account
 * queue a thousand transactions (a deployment script or a batch of transfers sent at once, as Hardhat allows).
 */
public record MempoolConfig(int maxTransactions, int maxPerSender, int priceBumpPercent) {
    public static final MempoolConfig DEFAULT = new MempoolConfig(8192, 1024, 10);

    public MempoolConfig {
        if (maxTransactions < 1 || maxPerSender < 1 || priceBumpPercent < 0) throw new IllegalArgumentException("bad mempool limits");
    }
}
