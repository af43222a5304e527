package io.flotilla.evm.vm;

import io.flotilla.evm.precompile.Precompiles;
import io.flotilla.evm.state.AccessSets;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.InMemoryWorldState;
import io.flotilla.evm.state.Journal;
import io.flotilla.evm.state.JournaledState;
import io.flotilla.evm.state.Substate;
import io.flotilla.evm.state.TransientStorage;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import java.util.List;

/** Runs bytecode in a single call frame against an in-memory state, for opcode and gas tests. */
final class EvmHarness {
    static final Address CALLER = Address.fromHex("0x00000000000000000000000000000000000000ca");
    static final Address CONTRACT = Address.fromHex("0x00000000000000000000000000000000000c0de0");
    static final Address COINBASE = Address.fromHex("0x00000000000000000000000000000000000000cb");

    final InMemoryWorldState world = new InMemoryWorldState();
    final Journal journal = new Journal();
    final JournaledState state = new JournaledState(world, journal);
    final AccessSets access = new AccessSets(journal);
    final TransientStorage transientStorage = new TransientStorage(journal);
    final Substate substate = new Substate(journal);
    final BlockEnv block = new BlockEnv(COINBASE, 100, 1000, 30_000_000, Word.of(7), Word.of(42), 1, 0, n -> Word.of(n + 1000));
    final Evm evm = new Evm(state, access, transientStorage, substate, journal, block,
            new TxContext(CALLER, Word.of(10), List.of(Word.of(0xb10b))), Precompiles.cancun(), new JumpDestCache());

    EvmHarness() {
        world.putAccount(CALLER, Account.of(0, Word.of(1_000_000), new byte[0]));
    }

    EvmHarness deploy(Address a, String hexCode) {
        world.putAccount(a, Account.of(1, Word.ZERO, Hex.decode(hexCode)));
        return this;
    }

    FrameResult call(String hexCode, long gas) {
        deploy(CONTRACT, hexCode);
        return callAt(CONTRACT, new byte[0], gas, false);
    }

    FrameResult callAt(Address target, byte[] data, long gas, boolean isStatic) {
        access.warm(CALLER);
        access.warm(target);
        Account acc = world.account(target);
        return evm.call(new Message(CALLER, target, target, Word.ZERO, data, acc.code(), acc.codeHash(), gas, 0, isStatic, false, true));
    }

    /** Runs code that leaves one word as its 32-byte return value (…PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN). */
    Word eval(String hexCode) {
        FrameResult r = call(hexCode + "60005260206000f3", 1_000_000);
        if (!r.success()) throw new AssertionError("frame failed: " + r.error());
        return Word.fromBytes(r.output());
    }
}
