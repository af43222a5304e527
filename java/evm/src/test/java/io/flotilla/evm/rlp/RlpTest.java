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
}
