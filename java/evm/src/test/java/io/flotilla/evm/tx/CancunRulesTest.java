package io.flotilla.evm.tx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.InMemoryWorldState;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import io.flotilla.evm.vm.BlockEnv;
import io.flotilla.evm.vm.ContractAddress;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fork rules checked end to end: EIP-170, EIP-3860, EIP-3651, EIP-2930 warm slots. */
class CancunRulesTest {
    static final Address SENDER = Address.fromHex("0x00000000000000000000000000000000000a11ce");
    static final Address TARGET = Address.fromHex("0x0000000000000000000000000000000000000b0b");
    static final Address COINBASE = Address.fromHex("0x00000000000000000000000000000000000000cb");

    final InMemoryWorldState world = new InMemoryWorldState();
    final BlockEnv block = new BlockEnv(COINBASE, 1, 1000, 30_000_000, Word.ZERO, Word.ZERO, 1, 0, n -> Word.ZERO);
    final TransactionProcessor processor = new TransactionProcessor();

    CancunRulesTest() {
        world.putAccount(SENDER, Account.of(0, Word.fromBigInteger(BigInteger.TEN.pow(24)), new byte[0]));
    }

    private Receipt run(Address to, String data, long gas, List<AccessListEntry> accessList) {
        Transaction tx = new Transaction(accessList.isEmpty() ? 0 : 1, SENDER, 0, BigInteger.valueOf(gas), BigInteger.ONE, null, null,
                to, BigInteger.ZERO, Hex.decode(data), accessList, BigInteger.ZERO, List.of());
        return assertInstanceOf(TxOutcome.Included.class, processor.process(world, block, tx)).receipt();
    }

    /** Init code returning `size` zero bytes: PUSH2 size, PUSH1 0, RETURN. */
    private static String initReturning(int size) {
        return String.format("0x61%04x6000f3", size);
    }

    @Test
    void deployedCodeIsLimitedTo24576Bytes() {
        assertTrue(run(null, initReturning(0x6000), 10_000_000, List.of()).success());
        assertEquals(0x6000, world.account(ContractAddress.create(SENDER, 0)).code().length);

        InMemoryWorldState w2 = new InMemoryWorldState();
        w2.putAccount(SENDER, Account.of(0, Word.fromBigInteger(BigInteger.TEN.pow(24)), new byte[0]));
        Transaction tooBig = new Transaction(0, SENDER, 0, BigInteger.valueOf(10_000_000), BigInteger.ONE, null, null, null,
                BigInteger.ZERO, Hex.decode(initReturning(0x6001)), List.of(), BigInteger.ZERO, List.of());
        Receipt r = assertInstanceOf(TxOutcome.Included.class, processor.process(w2, block, tooBig)).receipt();
        assertFalse(r.success());
        assertEquals(10_000_000, r.gasUsed());
        assertNull(w2.account(ContractAddress.create(SENDER, 0)));
    }

    @Test
    void createOpcodeRejectsInitCodeAbove49152Bytes() {
        // CREATE(value 0, offset 0, size) then store the result in slot 0
        String ok = "0x" + "61c000" + "6000" + "6000" + "f0" + "600055";
        String tooLong = "0x" + "61c001" + "6000" + "6000" + "f0" + "600055";
        world.putAccount(TARGET, Account.of(1, Word.ZERO, Hex.decode(ok)));
        assertTrue(run(TARGET, "0x", 5_000_000, List.of()).success());
        assertNotNull(world.account(ContractAddress.create(TARGET, 1)));

        InMemoryWorldState w2 = new InMemoryWorldState();
        w2.putAccount(SENDER, Account.of(0, Word.fromBigInteger(BigInteger.TEN.pow(24)), new byte[0]));
        w2.putAccount(TARGET, Account.of(1, Word.ZERO, Hex.decode(tooLong)));
        Transaction tx = new Transaction(0, SENDER, 0, BigInteger.valueOf(5_000_000), BigInteger.ONE, null, null, TARGET,
                BigInteger.ZERO, new byte[0], List.of(), BigInteger.ZERO, List.of());
        Receipt r = assertInstanceOf(TxOutcome.Included.class, processor.process(w2, block, tx)).receipt();
        assertFalse(r.success(), "the whole frame halts out of gas");
        assertEquals(5_000_000, r.gasUsed());
    }

    @Test
    void coinbaseStartsWarm() {
        // COINBASE BALANCE POP: 2 + 100 (warm, EIP-3651) + 2
        world.putAccount(TARGET, Account.of(1, Word.ZERO, Hex.decode("0x413150")));
        assertEquals(21000 + 2 + 100 + 2, run(TARGET, "0x", 100_000, List.of()).gasUsed());
    }

    @Test
    void accessListWarmsStorageSlots() {
        // PUSH1 1 SLOAD POP
        world.putAccount(TARGET, Account.of(1, Word.ZERO, Hex.decode("0x60015450")));
        long cold = run(TARGET, "0x", 100_000, List.of()).gasUsed();
        assertEquals(21000 + 3 + 2100 + 2, cold);
        world.putAccount(SENDER, Account.of(0, Word.fromBigInteger(BigInteger.TEN.pow(24)), new byte[0]));
        long warm = run(TARGET, "0x", 100_000, List.of(new AccessListEntry(TARGET, List.of(Word.ONE)))).gasUsed();
        assertEquals(21000 + 2400 + 1900 + 3 + 100 + 2, warm);
    }
}
