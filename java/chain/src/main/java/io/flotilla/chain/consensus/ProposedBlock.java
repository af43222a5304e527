package io.flotilla.chain.consensus;

import java.util.Arrays;
import java.util.Objects;

/**
 * A block as consensus sees it: opaque bytes plus the hash that votes and certificates name.
 * The engine checks {@code hash} against {@link ConsensusApplication#hashOf} before accepting a
 * proposal, so a proposer cannot pair one hash with two different payloads.
 */
public record ProposedBlock(BlockHash hash, byte[] payload) {
    public ProposedBlock {
        Objects.requireNonNull(hash, "hash");
        payload = Objects.requireNonNull(payload, "payload").clone();
    }

    /** A block whose hash is keccak256 of its payload (the default hashing rule). */
    public static ProposedBlock of(byte[] payload) {
        return new ProposedBlock(BlockHash.keccakOf(payload), payload);
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    /** The payload's length, without copying it. */
    public int size() {
        return payload.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProposedBlock b && b.hash.equals(hash) && Arrays.equals(b.payload, payload);
    }

    @Override
    public int hashCode() {
        return hash.hashCode();
    }

    @Override
    public String toString() {
        return "Block[" + hash + ", " + payload.length + " bytes]";
    }
}
