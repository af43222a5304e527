package io.flotilla.evm.rlp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flotilla.evm.types.Hex;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Encodings from the RLP specification's examples. */
class RlpTest {
    private static String enc(org.web3j.rlp.RlpType t) {
        return Hex.encode(Rlp.encode(t));
    }

    private static org.web3j.rlp.RlpType str(String s) {
        return Rlp.bytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void strings() {
        assertEquals("0x83646f67", enc(str("dog")));
        assertEquals("0x80", enc(str("")));
        assertEquals("0x0f", enc(Rlp.bytes(new byte[] {0x0f})));
        assertEquals("0xb8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069736963696e6720656c6974",
                enc(str("Lorem ipsum dolor sit amet, consectetur adipisicing elit")));
    }

    @Test
    void integersAreMinimalBigEndian() {
        assertEquals("0x80", enc(Rlp.uint(0)));
        assertEquals("0x0f", enc(Rlp.uint(15)));
        assertEquals("0x820400", enc(Rlp.uint(1024)));
        assertEquals("0x88ffffffffffffffff", enc(Rlp.uint(-1L))); // unsigned 2^64-1
        assertEquals("0x8180", enc(Rlp.uint(BigInteger.valueOf(128))));
    }

    @Test
    void lists() {
        assertEquals("0xc88363617483646f67", enc(Rlp.list(str("cat"), str("dog"))));
        assertEquals("0xc0", enc(Rlp.list()));
        // set-theoretic representation of three: [ [], [[]], [ [], [[]] ] ]
        assertEquals("0xc7c0c1c0c3c0c1c0", enc(Rlp.list(Rlp.list(), Rlp.list(Rlp.list()), Rlp.list(Rlp.list(), Rlp.list(Rlp.list())))));
    }

    @Test
    void rawEmbedsAnEncodedItemVerbatim() {
        byte[] inner = Rlp.encode(Rlp.list(str("cat")));
        assertEquals("0xc5c4836361" + "74", enc(Rlp.list(Rlp.raw(inner))));
    }

    /** The one-pass encoder gives web3j's bytes for every shape: strings at the 1/55/56-byte and 0x7f/0x80 edges, deep and long lists. */
    @Test
    void encodesExactlyAsWeb3jForRandomTrees() {
        java.util.Random rnd = new java.util.Random(11);
        for (int i = 0; i < 3_000; i++) {
            org.web3j.rlp.RlpType t = randomItem(rnd, 0);
            org.junit.jupiter.api.Assertions.assertArrayEquals(org.web3j.rlp.RlpEncoder.encode(t), Rlp.encode(t));
        }
        java.util.List<org.web3j.rlp.RlpType> body = new java.util.ArrayList<>();
        for (int i = 0; i < 2_000; i++) body.add(Rlp.list(Rlp.bytes(new byte[130 + i % 7]), Rlp.uint(i)));
        org.junit.jupiter.api.Assertions.assertArrayEquals(org.web3j.rlp.RlpEncoder.encode(Rlp.list(body)), Rlp.encode(Rlp.list(body)));
    }

    private static org.web3j.rlp.RlpType randomItem(java.util.Random rnd, int depth) {
        if (depth < 4 && rnd.nextInt(3) == 0) {
            int n = rnd.nextInt(rnd.nextBoolean() ? 4 : 70);
            java.util.List<org.web3j.rlp.RlpType> items = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) items.add(randomItem(rnd, depth + 1));
            return Rlp.list(items);
        }
        switch (rnd.nextInt(4)) {
            case 0:
                return Rlp.uint(rnd.nextInt(4) == 0 ? rnd.nextInt(300) : rnd.nextLong());
            case 1:
                return Rlp.uint(new BigInteger(rnd.nextInt(300), rnd));
            default:
                int[] sizes = {0, 1, 1, 2, 54, 55, 56, 57, 255, 256, 1000, 70_000};
                byte[] b = new byte[sizes[rnd.nextInt(sizes.length)]];
                rnd.nextBytes(b);
                if (b.length == 1 && rnd.nextBoolean()) b[0] = (byte) (rnd.nextBoolean() ? 0x7f : 0x80);
                return Rlp.bytes(b);
        }
    }
}
