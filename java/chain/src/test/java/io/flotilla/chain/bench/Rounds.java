package io.flotilla.chain.bench;

import io.flotilla.chain.consensus.CommitCertificate;
import io.flotilla.chain.storage.BlockHeader;
import io.flotilla.chain.storage.ChainStore;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The consensus round at which each block was decided, read (after the member stopped) from the commit
 * certificate stored with the block: RLP [height, round, blockHash, [signature...]]. A round above 0 means the
 * first proposer's round timed out; the JSON-RPC does not expose certificates.
 */
final class Rounds {

    private Rounds() {}

    static Map<Long, Integer> read(Path dataDir) {
        Map<Long, Integer> rounds = new TreeMap<>();
        try (ChainStore store = ChainStore.open(dataDir)) {
            long head = store.headNumber().orElse(0);
            for (long h = 1; h <= head; h++) {
                BlockHeader header = store.header(h).orElseThrow();
                byte[] certificate = header.commitCertificate();
                if (certificate == null || certificate.length == 0) {
                    continue;
                }
                rounds.put(h, CommitCertificate.decode(certificate).round());
            }
        }
        return rounds;
    }
}
