package io.flotilla.evm.vm;

import java.util.Arrays;

/** Byte-addressed frame memory that grows in 32-byte words. */
final class Memory {
    /** Offsets/sizes above this cost more gas than any block holds, so they are treated as out of gas. */
    static final long LIMIT = 0xFFFFFFFFL;
    private static final long MAX_SIZE = Integer.MAX_VALUE - 64;
    private byte[] data = new byte[256];
    private long size;

    long size() {
        return size;
    }

    /**
     * Gas to grow memory to cover [offset, offset+len); 0 when len is 0 (whatever the offset). Long.MAX_VALUE
     * (never payable) when offset or len is negative or above LIMIT, or the end lies beyond a Java array's reach.
     */
    long expansionCost(long offset, long len) {
        if (len == 0) return 0;
        // One test for both: a bit above LIMIT, or the sign bit, in either value.
        if (((offset | len) & ~LIMIT) != 0) return Long.MAX_VALUE;
        long end = offset + len; // < 2^33, cannot overflow
        if (end <= size) return 0;
        // Beyond a Java array's reach; no realistic gas limit pays for this much memory anyway.
        if (end > MAX_SIZE) return Long.MAX_VALUE;
        long newWords = Gas.words(end);
        return Gas.memoryCost(newWords) - Gas.memoryCost(size >>> 5);
    }

    void expand(long offset, long len) {
        if (len == 0) return;
        long end = offset + len;
        if (end <= size) return;
        long newSize = Gas.words(end) * 32;
        if (newSize > data.length) {
            data = Arrays.copyOf(data, (int) Math.max(newSize, Math.min(Integer.MAX_VALUE - 8, data.length * 2L)));
        }
        size = newSize;
    }

    byte[] read(long offset, long len) {
        if (len == 0) return FrameResult.NONE;
        return Arrays.copyOfRange(data, (int) offset, (int) (offset + len));
    }

    void write(long offset, byte[] src, int srcOff, int len) {
        System.arraycopy(src, srcOff, data, (int) offset, len);
    }

    /**
     * Copies src[srcOff..] into memory, zero-filling past the end of src (CALLDATACOPY and friends).
     * [offset, offset+len) must already be expanded.
     */
    void writePadded(long offset, byte[] src, long srcOff, long len) {
        if (len == 0) return;
        int o = (int) offset;
        // srcOff may be any non-negative long (a huge offset reads only zeros); src.length - srcOff cannot overflow.
        long avail = srcOff < 0 || srcOff >= src.length ? 0 : Math.min(len, src.length - srcOff);
        if (avail > 0) System.arraycopy(src, (int) srcOff, data, o, (int) avail);
        Arrays.fill(data, o + (int) avail, o + (int) len, (byte) 0);
    }

    void copyWithin(long dst, long src, long len) {
        if (len == 0) return;
        System.arraycopy(data, (int) src, data, (int) dst, (int) len);
    }

    byte byteAt(long offset) {
        return data[(int) offset];
    }

    void setByte(long offset, byte b) {
        data[(int) offset] = b;
    }

    byte[] raw() {
        return data;
    }
}
