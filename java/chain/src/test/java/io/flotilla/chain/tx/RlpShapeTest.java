package io.flotilla.chain.tx;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class RlpShapeTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    @Test
    void realTransactionsPass() {
        assertDoesNotThrow(() -> RlpShape.requireShallow(TestTxs.transfer(TestTxs.ALICE, 0, TestTxs.BOB.getAddress(), BigInteger.ONE), 0, 4));
        byte[] typed = TestTxs.eip1559(TestTxs.ALICE, TestTxs.CHAIN_ID, 0, 21_000, TestTxs.BOB.getAddress(), BigInteger.ONE, "",
                TestTxs.GWEI, TestTxs.GWEI);
        assertDoesNotThrow(() -> RlpShape.requireShallow(typed, 1, 4));
    }

    @Test
    void deepNestingIsRefusedAtOnce() {
        StringBuilder nested = new StringBuilder("80");
        for (int level = 1; level <= 10; level++) nested.insert(0, String.format("%02x", 0xC0 + level)); // c10 c9 ... c1 80, well formed
        byte[] deep = hex(nested.toString());
        assertEquals("rlp: lists nested deeper than 4",
                assertThrows(IllegalArgumentException.class, () -> RlpShape.requireShallow(deep, 0, 4)).getMessage());
    }

    @Test
    void lengthsBeyondTheInputAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> RlpShape.requireShallow(hex("b9ffffffff"), 0, 4));
        assertThrows(IllegalArgumentException.class, () -> RlpShape.requireShallow(hex("f8ff"), 0, 4));
    }

    @Test
    void anItemMayNotOverrunItsList() {
        // A list of length 1 whose only item claims 2 bytes.
        assertEquals("rlp: length exceeds the input",
                assertThrows(IllegalArgumentException.class, () -> RlpShape.requireShallow(hex("c1820102"), 0, 4)).getMessage());
    }
}
