package io.flotilla.evm.precompile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import org.junit.jupiter.api.Test;

/** Published vectors for the precompiles (EIP-152, EIP-196/197, EIP-198, geth's ecrecover vector). */
class PrecompilesTest {
    private static final Precompiles P = Precompiles.cancun();

    private static Precompile at(int n) {
        return P.get(Address.precompile(n));
    }

    private static String run(int n, String input) {
        byte[] out = at(n).run(Hex.decode(input));
        return out == null ? null : Hex.encode(out);
    }

    @Test
    void ecrecoverReturnsThePaddedSigner() {
        String in = "0x38d18acb67d25c8bb9942764b62f18e17054f66a817bd4295423adf9ed98873e"
                + "000000000000000000000000000000000000000000000000000000000000001b"
                + "38d18acb67d25c8bb9942764b62f18e17054f66a817bd4295423adf9ed98873e"
                + "789d1dd423d25f0772d2748d60f7e4b81bb14d086eba8e8e8efb6dcff8a4ae02";
        assertEquals("0x000000000000000000000000ceaccac640adf55b2028469bd36ba501f28b699d", run(1, in));
        assertEquals(3000, at(1).gas(new byte[0]));
    }

    @Test
    void ecrecoverWithBadVReturnsEmptyOutputNotFailure() {
        String in = "0x" + "11".repeat(32) + "00".repeat(31) + "1d" + "11".repeat(64);
        assertEquals("0x", run(1, in));
    }

    @Test
    void sha256AndRipemd160() {
        assertEquals("0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", run(2, "0x"));
        assertEquals(60 + 12 * 2, at(2).gas(new byte[33]));
        assertEquals("0x0000000000000000000000009c1185a5c5e9fc54612808977ee8f548b2258d31", run(3, "0x"));
        assertEquals(600 + 120, at(3).gas(new byte[32]));
    }

    @Test
    void identityCopiesInput() {
        assertEquals("0xdeadbeef", run(4, "0xdeadbeef"));
        assertEquals(15 + 3, at(4).gas(new byte[4]));
    }

    @Test
    void modexpFermatLittleTheorem() {
        // EIP-198 example: 3^(p-1) mod p = 1 for p = 2^256 - 2^32 - 977
        String in = "0x" + "00".repeat(31) + "01" + "00".repeat(31) + "20" + "00".repeat(31) + "20" + "03"
                + "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2e"
                + "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f";
        assertEquals("0x" + "00".repeat(31) + "01", run(5, in));
        // EIP-2565: complexity ceil(32/8)^2 = 16, iterations 255 -> max(200, 16*255/3) = 1360
        assertEquals(1360, at(5).gas(Hex.decode(in)));
    }

    @Test
    void modexpWithZeroModulusLengthIsEmpty() {
        String in = "0x" + "00".repeat(31) + "01" + "00".repeat(31) + "01" + "00".repeat(32) + "0203";
        assertEquals("0x", run(5, in));
        assertEquals(200, at(5).gas(Hex.decode(in)));
    }

    @Test
    void blake2fEip152Vector5() {
        String in = "0x0000000c48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d182e6ad7f520e511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b"
                + "6162630000000000000000000000000000000000000000000000000000000000"
                + "0000000000000000000000000000000000000000000000000000000000000000"
                + "0000000000000000000000000000000000000000000000000000000000000000"
                + "0000000000000000000000000000000000000000000000000000000000000000"
                + "0300000000000000000000000000000001";
        assertEquals("0xba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
                run(9, in));
        assertEquals(12, at(9).gas(Hex.decode(in)));
        assertNull(run(9, in.substring(0, in.length() - 2) + "02")); // final flag must be 0 or 1
        assertNull(run(9, in.substring(0, in.length() - 2))); // wrong length
    }

    private static final String G1 = "0000000000000000000000000000000000000000000000000000000000000001"
            + "0000000000000000000000000000000000000000000000000000000000000002";
    private static final String TWO_G1 = "030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3"
            + "15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4";

    @Test
    void bn254AddAndMulAgreeOnDoubling() {
        assertEquals("0x" + TWO_G1, run(6, "0x" + G1 + G1));
        assertEquals("0x" + TWO_G1, run(7, "0x" + G1 + "00".repeat(31) + "02"));
        assertEquals("0x" + G1, run(6, "0x" + G1)); // missing input reads as the point at infinity
        assertEquals("0x" + "00".repeat(64), run(7, "0x" + G1 + "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001"));
    }

    @Test
    void bn254RejectsPointsOffTheCurve() {
        assertNull(run(6, "0x" + "00".repeat(31) + "01" + "00".repeat(31) + "03" + G1));
        assertNull(run(7, "0x" + "ff".repeat(64) + "00".repeat(31) + "01"));
    }

    // G2 generator in EIP-197 order (x_imag, x_real, y_imag, y_real).
    private static final String G2 = "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2"
            + "1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed"
            + "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b"
            + "12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa";
    private static final String MINUS_G1 = "0000000000000000000000000000000000000000000000000000000000000001"
            + "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd45";

    @Test
    void pairingOfGeneratorAndItsNegationIsOne() {
        // e(G1, G2) * e(-G1, G2) == 1
        assertEquals("0x" + "00".repeat(31) + "01", run(8, "0x" + G1 + G2 + MINUS_G1 + G2));
        assertEquals(45000 + 2 * 34000, at(8).gas(new byte[384]));
    }

    @Test
    void pairingOfGeneratorsAloneIsNotOne() {
        assertEquals("0x" + "00".repeat(32), run(8, "0x" + G1 + G2));
        // e(2·G1, G2) * e(-G1, G2) * e(-G1, G2) == 1 (bilinearity)
        assertEquals("0x" + "00".repeat(31) + "01", run(8, "0x" + TWO_G1 + G2 + MINUS_G1 + G2 + MINUS_G1 + G2));
    }

    @Test
    void pairingEdgeCases() {
        assertEquals("0x" + "00".repeat(31) + "01", run(8, "0x")); // empty product
        assertNull(run(8, "0x" + G1)); // not a multiple of 192 bytes
        assertNull(run(8, "0x" + G1 + G2.substring(0, 127 * 2) + "ab")); // G2 off the curve
    }
}
