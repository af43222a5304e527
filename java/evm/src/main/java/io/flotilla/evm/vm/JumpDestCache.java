package io.flotilla.evm.vm;

import io.flotilla.evm.types.Word;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Valid JUMPDEST positions per code, analysed once and cached by code hash.
 * Shared by every transaction an owner runs; bounded by clearing when it grows past its limit.
 */
public final class JumpDestCache {
    private static final int MAX_ENTRIES = 4096;
    private final ConcurrentHashMap<Word, long[]> cache = new ConcurrentHashMap<>();

    /** A bitmap of JUMPDEST offsets that are not inside PUSH data. */
    public long[] analyse(byte[] code, byte[] codeHash) {
        if (codeHash == null) return scan(code);
        Word key = Word.fromBytes(codeHash);
        long[] bits = cache.get(key);
        if (bits == null) {
            if (cache.size() >= MAX_ENTRIES) cache.clear();
            bits = scan(code);
            cache.put(key, bits);
        }
        return bits;
    }

    static long[] scan(byte[] code) {
        long[] bits = new long[(code.length >>> 6) + 1];
        int pc = 0;
        while (pc < code.length) {
            int op = code[pc] & 0xFF;
            if (op == 0x5B) {
                bits[pc >>> 6] |= 1L << (pc & 63);
            } else if (op >= 0x60 && op <= 0x7F) {
                pc += op - 0x5F;
            }
            pc++;
        }
        return bits;
    }

    static boolean isJumpDest(long[] bits, long pos, int codeLength) {
        return pos >= 0 && pos < codeLength && (bits[(int) (pos >>> 6)] & (1L << (pos & 63))) != 0;
    }
}
