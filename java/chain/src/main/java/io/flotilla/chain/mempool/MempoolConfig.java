package io.flotilla.chain.mempool;

import java.time.Duration;

/**
 * Pool limits, each a bound on what a stranger can make every member hold for free.
 *
 * @param maxTransactions transactions in the pool
 * @param maxPerSender transactions of one sender (a deployment script or a batch of transfers sent at once is normal)
 * @param priceBumpPercent a replacement (same sender and nonce) must raise both fee caps by at least this much, so
 *     replacing cannot be used to spam the members for free (geth uses 10)
 * @param maxBytes raw bytes of all pooled transactions
 * @param maxBytesPerSender raw bytes of one sender's transactions
 * @param maxNonceGap how far ahead of the sender's next usable nonce (account nonce plus its gap-free pending run) a
 *     transaction may be: transactions behind a gap cannot run, so at most this many wait for one
 * @param stuckAfter a transaction still behind a nonce gap after this long is dropped
 */
public record MempoolConfig(int maxTransactions, int maxPerSender, int priceBumpPercent, long maxBytes, long maxBytesPerSender,
                            int maxNonceGap, Duration stuckAfter) {
    public static final MempoolConfig DEFAULT = new MempoolConfig(8192, 1024, 10, 16L << 20, 2L << 20, 64, Duration.ofMinutes(1));

    public MempoolConfig {
        if (maxTransactions < 1 || maxPerSender < 1 || priceBumpPercent < 0 || maxBytes < 1 || maxBytesPerSender < 1 || maxNonceGap < 0) {
            throw new IllegalArgumentException("bad mempool limits");
        }
        if (stuckAfter == null || stuckAfter.isNegative()) throw new IllegalArgumentException("bad mempool stuck timeout");
    }

    /** The default byte, gap and age limits with these counts (tests). */
    public MempoolConfig(int maxTransactions, int maxPerSender, int priceBumpPercent) {
        this(maxTransactions, maxPerSender, priceBumpPercent, DEFAULT.maxBytes, DEFAULT.maxBytesPerSender, DEFAULT.maxNonceGap,
                DEFAULT.stuckAfter);
    }
}
