package io.flotilla.chain.consensus;

import java.util.Objects;

/** What every engine is built from, whatever its protocol. */
public record EngineContext(long chainId, MessageSigner signer, ConsensusApplication application) {
    public EngineContext {
        if (chainId < 0) throw new IllegalArgumentException("chain id must not be negative");
        Objects.requireNonNull(signer, "signer");
        Objects.requireNonNull(application, "application");
    }
}
