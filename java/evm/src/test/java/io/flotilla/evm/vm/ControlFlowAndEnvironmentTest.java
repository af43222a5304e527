package io.flotilla.evm.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import org.junit.jupiter.api.Test;

/** Jumps, stack limits, static rules, transient storage, MCOPY and the block/tx environment. */
class ControlFlowAndEnvironmentTest {
    @Test
    void jumpToJumpdestSkipsCode() {
        // PUSH1 4, JUMP, INVALID, JUMPDEST, PUSH1 7
        assertEquals(Word.of(7), new EvmHarness().eval("600456fe5b6007"));
    }

    @Test
    void jumpIntoPushDataIsInvalid() {
        // PUSH1 3 JUMP PUSH1 0x5b: offset 3 is push data even though it holds 0x5b
        assertEquals(HaltReason.INVALID_JUMP, new EvmHarness().call("600456605b", 1000).error());
    }

    @Test
    void jumpiFallsThroughOnZero() {
        assertEquals(Word.of(9), new EvmHarness().eval("6000600757" + "6009" + "600d56" + "5b6008" + "5b"));
    }

    @Test
    void undefinedOpcodeAndUnderflowAreExceptional() {
        assertEquals(HaltReason.INVALID_OPCODE, new EvmHarness().call("0c", 1000).error());
        assertEquals(HaltReason.STACK_UNDERFLOW, new EvmHarness().call("01", 1000).error());
    }

    @Test
    void stackHoldsAtMost1024Items() {
        assertTrue(new EvmHarness().call("5f".repeat(1024), 10_000).success());
        assertEquals(HaltReason.STACK_OVERFLOW, new EvmHarness().call("5f".repeat(1025), 10_000).error());
    }

    @Test
    void dupAndSwap() {
        assertEquals(Word.of(1), new EvmHarness().eval("600160026003" + "82")); // DUP3
        assertEquals(Word.of(3), new EvmHarness().eval("600160026003" + "91" + "50" + "50")); // SWAP2 then drop two
    }

    @Test
    void pushPastEndOfCodeReadsZeros() {
        FrameResult r = new EvmHarness().call("61ff", 100);
        assertTrue(r.success());
    }

    @Test
    void staticFrameRejectsStateChanges() {
        EvmHarness h = new EvmHarness().deploy(EvmHarness.CONTRACT, "6001600055");
        assertEquals(HaltReason.STATIC_STATE_CHANGE, h.callAt(EvmHarness.CONTRACT, new byte[0], 100_000, true).error());
        EvmHarness t = new EvmHarness().deploy(EvmHarness.CONTRACT, "600160005d");
        assertEquals(HaltReason.STATIC_STATE_CHANGE, t.callAt(EvmHarness.CONTRACT, new byte[0], 100_000, true).error());
        EvmHarness l = new EvmHarness().deploy(EvmHarness.CONTRACT, "60006000a0");
        assertEquals(HaltReason.STATIC_STATE_CHANGE, l.callAt(EvmHarness.CONTRACT, new byte[0], 100_000, true).error());
    }

    @Test
    void transientStorageRoundTripsAndReverts() {
        assertEquals(Word.of(0x2a), new EvmHarness().eval("602a60015d" + "60015c"));
        EvmHarness h = new EvmHarness();
        FrameResult r = h.call("602a60015d" + "60006000fd", 10_000);
        assertEquals(HaltReason.REVERTED, r.error());
        assertEquals(Word.ZERO, h.transientStorage.get(EvmHarness.CONTRACT, Word.ONE));
    }

    @Test
    void mcopyHandlesOverlap() {
        // memory[0..32) = 0x0102...; MCOPY(dst=1, src=0, len=31); return first 32 bytes
        String code = "7f" + "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20" + "600052"
                + "601f" + "6000" + "6001" + "5e" + "60206000f3";
        FrameResult r = new EvmHarness().call(code, 10_000);
        assertArrayEquals(Hex.decode("0x01" + "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"), r.output());
    }

    @Test
    void environmentOpcodes() {
        EvmHarness h = new EvmHarness();
        assertEquals(EvmHarness.CONTRACT.toWord(), h.eval("30"));
        assertEquals(EvmHarness.CALLER.toWord(), new EvmHarness().eval("33"));
        assertEquals(EvmHarness.COINBASE.toWord(), new EvmHarness().eval("41"));
        assertEquals(Word.of(100), new EvmHarness().eval("43"));
        assertEquals(Word.of(42), new EvmHarness().eval("44"));
        assertEquals(Word.of(1), new EvmHarness().eval("46"));
        assertEquals(Word.of(7), new EvmHarness().eval("48"));
        assertEquals(Word.of(10), new EvmHarness().eval("3a"));
        assertEquals(Word.of(0xb10b), new EvmHarness().eval("5f49"));
        assertEquals(Word.ZERO, new EvmHarness().eval("600149"));
        assertEquals(Word.ONE, new EvmHarness().eval("4a")); // excess blob gas 0 -> minimum fee 1
    }

    @Test
    void blockhashCoversOnlyThePrevious256Blocks() {
        assertEquals(Word.of(1099), new EvmHarness().eval("606340")); // block 99
        assertEquals(Word.ZERO, new EvmHarness().eval("606440")); // current block 100
    }

    @Test
    void calldataloadPadsWithZeros() {
        EvmHarness h = new EvmHarness().deploy(EvmHarness.CONTRACT, "601f35" + "60005260206000f3");
        FrameResult r = h.callAt(EvmHarness.CONTRACT, Hex.decode("0x" + "00".repeat(31) + "ab"), 10_000, false);
        assertEquals(Word.fromHex("0xab" + "00".repeat(31)), Word.fromBytes(r.output()));
    }

    @Test
    void extcodehashOfMissingAccountIsZeroAndOfCodeIsKeccak() {
        assertEquals(Word.ZERO, new EvmHarness().eval("61beef3f"));
        EvmHarness h = new EvmHarness().deploy(Address.fromHex("0xbeef"), "00");
        assertEquals(Word.fromBytes(Keccak.hash(new byte[] {0})), h.eval("61beef3f"));
    }

    @Test
    void returndatacopyOutOfBoundsIsExceptional() {
        FrameResult r = new EvmHarness().call("6001" + "6000" + "6000" + "3e", 1000);
        assertFalse(r.success());
        assertEquals(HaltReason.RETURN_DATA_OUT_OF_BOUNDS, r.error());
        assertNull(new EvmHarness().call("00", 10).error());
        // an offset near 2^63 must not wrap around the bounds check
        FrameResult wrapped = new EvmHarness().call("6001" + "677ffffffffffffff0" + "6000" + "3e", 1000);
        assertEquals(HaltReason.RETURN_DATA_OUT_OF_BOUNDS, wrapped.error());
    }
}
