package io.flotilla.evm.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Keccak-256 and secp256k1 against well-known values. */
class CryptoTest {
    @Test
    void keccakOfEmptyAndAscii() {
        assertEquals("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", Hex.encode(Keccak.hash(new byte[0])));
        assertEquals("0x4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15",
                Hex.encode(Keccak.hash("The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void keccakAgreesWithAnIndependentImplementationAtEveryLengthAroundTheBlockSize() {
        java.util.Random rnd = new java.util.Random(11);
        for (int len = 0; len <= 700; len++) {
            byte[] data = new byte[len + 7];
            rnd.nextBytes(data);
            int off = len % 7;
            org.bouncycastle.crypto.digests.KeccakDigest reference = new org.bouncycastle.crypto.digests.KeccakDigest(256);
            reference.update(data, off, len);
            byte[] expected = new byte[32];
            reference.doFinal(expected, 0);
            assertEquals(Hex.encode(expected), Hex.encode(Keccak.hash(data, off, len)), "length " + len + " at offset " + off);
        }
    }

    @Test
    void keccakRefusesARangeOutsideItsArray() {
        org.junit.jupiter.api.Assertions.assertThrows(IndexOutOfBoundsException.class, () -> Keccak.hash(new byte[10], 4, 7));
    }

    @Test
    void privateKeyToAddress() {
        // The ethereum/tests default sender.
        assertEquals(Address.fromHex("0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b"),
                Secp256k1.addressOf(new BigInteger("45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8", 16)));
    }

    @Test
    void recoversSignerAndRejectsOutOfRangeValues() {
        byte[] hash = Hex.decode("0x38d18acb67d25c8bb9942764b62f18e17054f66a817bd4295423adf9ed98873e");
        BigInteger r = new BigInteger("38d18acb67d25c8bb9942764b62f18e17054f66a817bd4295423adf9ed98873e", 16);
        BigInteger s = new BigInteger("789d1dd423d25f0772d2748d60f7e4b81bb14d086eba8e8e8efb6dcff8a4ae02", 16);
        assertEquals(Address.fromHex("0xceaccac640adf55b2028469bd36ba501f28b699d"), Secp256k1.recover(hash, 0, r, s).orElseThrow());
        assertTrue(Secp256k1.recover(hash, 0, Secp256k1.N, s).isEmpty());
        assertTrue(Secp256k1.recover(hash, 0, r, BigInteger.ZERO).isEmpty());
        assertEquals(Secp256k1.recover(hash, 0, r, s), Secp256k1.recoverWithLimbs(hash, 0, r, s), "both paths agree");
    }
}
