package io.flotilla.chain.consensus;

import java.util.Objects;

/** What every engine is built from, whatever its protocol. */
public record EngineContext(long chainId, MessageSigner signer, ConsensusApplication application) {
    public EngineContext {
        Objects.requireNonNull(signer, "signer");
        Objects.requireNonNull(application, "application");
    }
}
