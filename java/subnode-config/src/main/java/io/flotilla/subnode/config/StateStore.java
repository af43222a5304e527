package io.flotilla.subnode.config;

/**
 * How the chain keeps its state on disk: {@code cacheMegabytes} of trie nodes cached in the heap (1-4096, default 16:
 * a dev4 subnode's JVM has about 96 MiB of heap), {@code historyBlocks} blocks whose state stays readable for
 * historical reads, proofs and tracing (1-1,000,000, default 128), and {@code archive} (default false): keep the state
 * of every block (the store then grows with every block's changes).
 */
public record StateStore(int cacheMegabytes, int historyBlocks, boolean archive) {

    public static final StateStore DEFAULT = new StateStore(16, 128, false);

    public StateStore {
        Check.range("cacheMegabytes", cacheMegabytes, 1, 4096);
        Check.range("historyBlocks", historyBlocks, 1, 1_000_000);
    }
}
