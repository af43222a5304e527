package io.flotilla.evm.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.types.Word;
import org.junit.jupiter.api.Test;

/** Static and dynamic gas: the simple tiers, memory expansion, EIP-2929 access costs, SSTORE (EIP-2200/3529). */
class GasAndMemoryTest {
    private static long used(EvmHarness h, String code, long gas) {
        FrameResult r = h.call(code, gas);
        assertTrue(r.success(), () -> "frame failed: " + r.error());
        return gas - r.gasLeft();
    }

    @Test
    void verylowTierCostsThreeGas() {
        assertEquals(9, used(new EvmHarness(), "6001600201", 100)); // PUSH1, PUSH1, ADD
    }

    @Test
    void runningOutOfGasConsumesEverything() {
        FrameResult r = new EvmHarness().call("6001600201", 8);
        assertEquals(HaltReason.OUT_OF_GAS, r.error());
        assertEquals(0, r.gasLeft());
    }

    @Test
    void memoryExpansionIsQuadratic() {
        // MSTORE at 0: 3 (push) + 3 (push) + 3 (mstore) + 3 (one word)
        assertEquals(12, used(new EvmHarness(), "6001600052", 100));
        // MSTORE8 at 1023 grows memory to 32 words: 3*32 + 32*32/512 = 98
        assertEquals(3 + 3 + 3 + 98, used(new EvmHarness(), "60016103ff53", 1000));
    }

    @Test
    void hugeMemoryOffsetIsOutOfGasNotACrash() {
        FrameResult r = new EvmHarness().call("60017fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff52", 1_000_000);
        assertEquals(HaltReason.OUT_OF_GAS, r.error());
    }

    @Test
    void msizeReportsWordAlignedSize() {
        assertEquals(Word.of(64), new EvmHarness().eval("6001602153" + "59"));
    }

    @Test
    void coldThenWarmAccountAccess() {
        // BALANCE of an untouched address: cold 2600, then warm 100
        String code = "61beef31" + "50" + "61beef31" + "50";
        assertEquals(3 + 2600 + 2 + 3 + 100 + 2, used(new EvmHarness(), code, 10_000));
    }

    @Test
    void sloadColdThenWarm() {
        assertEquals(3 + 2100 + 2 + 3 + 100 + 2, used(new EvmHarness(), "600154" + "50" + "600154" + "50", 10_000));
    }

    @Test
    void sstoreOfFreshSlotCostsSetPlusColdAccess() {
        assertEquals(3 + 3 + 20000 + 2100, used(new EvmHarness(), "6001600055", 100_000));
    }

    @Test
    void sstoreResettingToOriginalEarnsRefund() {
        EvmHarness h = new EvmHarness();
        // 0 -> 1 -> 0 in the same transaction: 22100 + 100, refund 20000 - 100
        assertEquals(6 + 22100 + 6 + 100, used(h, "6001600055" + "6000600055", 100_000));
        assertEquals(19900, h.substate.refund());
    }

    @Test
    void sstoreClearingAnExistingSlotRefunds4800() {
        EvmHarness h = new EvmHarness();
        h.world.putStorage(EvmHarness.CONTRACT, Word.ZERO, Word.of(5));
        h.deploy(EvmHarness.CONTRACT, "6000600055");
        FrameResult r = h.callAt(EvmHarness.CONTRACT, new byte[0], 100_000, false);
        assertTrue(r.success());
        assertEquals(6 + 2100 + 2900, 100_000 - r.gasLeft());
        assertEquals(4800, h.substate.refund());
    }

    @Test
    void sstoreFailsWithinTheCallStipend() {
        FrameResult r = new EvmHarness().call("6001600055", 2300 + 6);
        assertEquals(HaltReason.OUT_OF_GAS, r.error());
    }

    @Test
    void expChargesFiftyPerExponentByte() {
        assertEquals(3 + 3 + 10 + 50 * 2, used(new EvmHarness(), "6102006002" + "0a", 1000));
    }

    @Test
    void keccakChargesPerWord() {
        assertEquals(3 + 3 + 30 + 6 + 3, used(new EvmHarness(), "6020600020", 1000));
    }

    @Test
    void returnsMemoryAndRevertKeepsGas() {
        FrameResult ok = new EvmHarness().call("60aa60005360016000f3", 1000);
        assertArrayEquals(new byte[] {(byte) 0xaa}, ok.output());
        FrameResult rev = new EvmHarness().call("60aa60005360016000fd", 1000);
        assertFalse(rev.success());
        assertEquals(HaltReason.REVERTED, rev.error());
        assertArrayEquals(new byte[] {(byte) 0xaa}, rev.output());
        assertTrue(rev.gasLeft() > 0);
    }
}
