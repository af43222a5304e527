package io.flotilla.evm.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import org.junit.jupiter.api.Test;

/** Message-call and create semantics: EIP-150 gas forwarding, DELEGATECALL context, STATICCALL, CREATE2. */
class CallAndCreateTest {
    private static final Address CALLEE = Address.fromHex("0x000000000000000000000000000000000000cafe");
    /** Returns the callee's view of one environment opcode as a 32-byte word. */
    private static String returning(String op) {
        return op + "60005260206000f3";
    }

    /** op(gas=MAX, CALLEE, [value 0,] in 0/0, out 0/32) then return memory[0..32). */
    private static String callCallee(String opcode, boolean withValue) {
        return "6020" + "6000" + "6000" + "6000" + (withValue ? "6000" : "") + "61cafe"
                + "7f" + "ff".repeat(32) + opcode + "50" + "60206000f3";
    }

    @Test
    void callForwardsAllButOne64thOfRemainingGas() {
        EvmHarness h = new EvmHarness().deploy(CALLEE, returning("5a"));
        FrameResult r = h.call(callCallee("f1", true), 100_000);
        assertTrue(r.success());
        long beforeCall = 100_000 - 7 * 3; // seven pushes
        long available = beforeCall - 3 /* memory word */ - 2600 /* cold callee */;
        long forwarded = available - available / 64;
        assertEquals(Word.of(forwarded - 2), Word.fromBytes(r.output())); // callee spent 2 on GAS
    }

    @Test
    void delegatecallKeepsTheCallersContext() {
        EvmHarness viaCall = new EvmHarness().deploy(CALLEE, returning("33"));
        assertEquals(EvmHarness.CONTRACT.toWord(), Word.fromBytes(viaCall.call(callCallee("f1", true), 100_000).output()));
        EvmHarness viaDelegate = new EvmHarness().deploy(CALLEE, returning("33"));
        assertEquals(EvmHarness.CALLER.toWord(), Word.fromBytes(viaDelegate.call(callCallee("f4", false), 100_000).output()));
        EvmHarness address = new EvmHarness().deploy(CALLEE, returning("30"));
        assertEquals(EvmHarness.CONTRACT.toWord(), Word.fromBytes(address.call(callCallee("f4", false), 100_000).output()));
    }

    @Test
    void staticcallCannotWriteAndReportsFailure() {
        // callee writes storage; STATICCALL pushes 0 and leaves storage untouched
        EvmHarness h = new EvmHarness().deploy(CALLEE, "6001600055");
        String code = "6000600060006000" + "61cafe" + "5a" + "fa" + "60005260206000f3";
        FrameResult r = h.call(code, 100_000);
        assertEquals(Word.ZERO, Word.fromBytes(r.output()));
        assertEquals(Word.ZERO, h.world.storage(CALLEE, Word.ZERO));
        EvmHarness ok = new EvmHarness().deploy(CALLEE, "00");
        assertEquals(Word.ONE, Word.fromBytes(ok.call(code, 100_000).output()));
    }

    @Test
    void callWithValueBeyondBalanceFailsWithoutConsumingTheForwardedGas() {
        EvmHarness h = new EvmHarness().deploy(CALLEE, "00");
        // value 1 from a contract with zero balance
        String code = "6000600060006000" + "6001" + "61cafe" + "61ffff" + "f1" + "60005260206000f3";
        FrameResult r = h.call(code, 100_000);
        assertEquals(Word.ZERO, Word.fromBytes(r.output()));
        assertTrue(r.gasLeft() > 100_000 - 2600 - 9000 - 100, "forwarded gas and stipend come back");
    }

    @Test
    void create2DeploysAtTheDerivedAddressAndCollidesOnReuse() {
        // init code 0x00 (fresh memory) at memory[31]; CREATE2(value 0, offset 31, size 1, salt 7) twice
        String create2 = "6007" + "6001" + "601f" + "6000" + "f5";
        String code = create2 + create2 + "602052" + "600052" + "60406000f3";
        EvmHarness h = new EvmHarness();
        FrameResult r = h.call(code, 1_000_000);
        assertTrue(r.success());
        Address expected = ContractAddress.create2(EvmHarness.CONTRACT, Word.of(7), Hex.decode("0x00"));
        assertEquals(expected.toWord(), Word.fromBytes(java.util.Arrays.copyOfRange(r.output(), 0, 32)));
        assertEquals(Word.ZERO, Word.fromBytes(java.util.Arrays.copyOfRange(r.output(), 32, 64)));
        assertEquals(1, h.world.account(expected).nonce());
    }
}
