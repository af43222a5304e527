package io.flotilla.chain.consensus;

import io.flotilla.evm.crypto.Keccak;
import java.util.Arrays;
import java.util.HexFormat;

/** A 32-byte block identifier; consensus votes on these, never on block contents. */
public record BlockHash(byte[] bytes) implements Comparable<BlockHash> {
    public BlockHash {
        if (bytes == null || bytes.length != 32) throw new IllegalArgumentException("block hash must be 32 bytes");
        bytes = bytes.clone();
    }

    public static BlockHash keccakOf(byte[] data) {
        return new BlockHash(Keccak.hash(data));
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockHash h && Arrays.equals(h.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public int compareTo(BlockHash o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public String toString() {
        return "0x" + HexFormat.of().formatHex(bytes, 0, 4) + "..";
    }
}
