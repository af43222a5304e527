package io.flotilla.evm.types;

import java.util.Arrays;

/** A 20-byte account address; value-based equality so it can key maps. */
public final class Address implements Comparable<Address> {
    private final byte[] bytes;
    private final int hash;

    private Address(byte[] bytes) {
        this.bytes = bytes;
        this.hash = mix(Arrays.hashCode(bytes));
    }

    /**
     * Scrambles the polynomial hash: addresses anyone can choose (0x...01, 0x...02, ...) would otherwise get
     * consecutive hash codes, which cluster in open-addressing tables. Deterministic, so iteration orders stay equal
     * on every member.
     */
    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        return h ^ (h >>> 16);
    }

    public static Address of(byte[] b) {
        if (b.length != 20) throw new IllegalArgumentException("address must be 20 bytes, got " + b.length);
        return new Address(b.clone());
    }

    public static Address fromHex(String hex) {
        byte[] b = Hex.decode(hex);
        if (b.length < 20) {
            byte[] p = new byte[20];
            System.arraycopy(b, 0, p, 20 - b.length, b.length);
            b = p;
        }
        return of(b);
    }

    /** The low 160 bits of a word, as the EVM converts stack values to addresses. */
    public static Address fromLimbs(long l0, long l1, long l2) {
        byte[] b = new byte[20];
        int v = (int) l2;
        b[0] = (byte) (v >>> 24);
        b[1] = (byte) (v >>> 16);
        b[2] = (byte) (v >>> 8);
        b[3] = (byte) v;
        Word.putLong(b, 4, l1);
        Word.putLong(b, 12, l0);
        return new Address(b);
    }

    public static Address fromWord(Word w) {
        return fromLimbs(w.l0(), w.l1(), w.l2());
    }

    public static Address precompile(int n) {
        byte[] b = new byte[20];
        b[19] = (byte) n;
        return new Address(b);
    }

    public Word toWord() {
        return Word.fromBytes(bytes);
    }

    public byte[] toArray() {
        return bytes.clone();
    }

    /** Returns the small integer value if this is an address below 0x100, else -1. */
    public int smallValue() {
        for (int i = 0; i < 19; i++) if (bytes[i] != 0) return -1;
        return bytes[19] & 0xFF;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Address a && a.hash == hash && Arrays.equals(a.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public int compareTo(Address o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public String toString() {
        return Hex.encode(bytes);
    }
}
