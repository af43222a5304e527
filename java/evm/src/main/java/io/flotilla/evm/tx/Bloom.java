package io.flotilla.evm.tx;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.state.Log;
import io.flotilla.evm.types.Word;
import java.util.List;

/** The 2048-bit log bloom filter (yellow paper M3:2048). */
public final class Bloom {
    private Bloom() {
    }

    public static byte[] of(List<Log> logs) {
        byte[] bloom = new byte[256];
        for (Log log : logs) {
            add(bloom, log.address().toArray());
            for (Word t : log.topics()) add(bloom, t.toBytes());
        }
        return bloom;
    }

    static void add(byte[] bloom, byte[] item) {
        byte[] h = Keccak.hash(item);
        for (int i = 0; i < 6; i += 2) {
            int bit = ((h[i] & 0xFF) << 8 | (h[i + 1] & 0xFF)) & 2047;
            bloom[255 - bit / 8] |= (byte) (1 << (bit % 8));
        }
    }
}
