package io.flotilla.chain.execution;

/** A tiny storage-and-log contract as raw EVM bytecode, so tests need no compiler. */
public final class TestContract {
    /**
     * Runtime: no calldata -> return slot 0; calldata word 0 -> revert with 0xdeadbeef;
     * otherwise slot 0 := word, LOG1(topic 0xaa, data = word).
     * <pre>
     *   CALLDATASIZE PUSH1 store JUMPI  PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
     *   store: JUMPDEST PUSH1 0 CALLDATALOAD DUP1 PUSH1 ok JUMPI
     *          PUSH4 deadbeef PUSH1 0 MSTORE PUSH1 4 PUSH1 28 REVERT
     *   ok:    JUMPDEST DUP1 PUSH1 0 SSTORE PUSH1 0 MSTORE PUSH1 0xaa PUSH1 32 PUSH1 0 LOG1 STOP
     * </pre>
     */
    public static final String RUNTIME = "36600f5760005460005260206000f35b6000358060245763deadbeef6000526004601cfd5b8060005560005260aa60206000a100";
    /** Init code: PUSH1 len DUP1 PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN, followed by the runtime. */
    public static final String INIT = "603480600b6000396000f3" + RUNTIME;

    private TestContract() {
    }
}
