package io.flotilla.evm.vm;

/** Cancun gas constants (names follow the execution specs). */
public final class Gas {
    private Gas() {
    }

    public static final long ZERO = 0;
    public static final long BASE = 2;
    public static final long VERY_LOW = 3;
    public static final long LOW = 5;
    public static final long MID = 8;
    public static final long HIGH = 10;
    public static final long JUMPDEST = 1;
    public static final long WARM_ACCESS = 100;
    public static final long COLD_SLOAD = 2100;
    public static final long COLD_ACCOUNT_ACCESS = 2600;
    public static final long STORAGE_SET = 20000;
    public static final long STORAGE_UPDATE = 5000;
    public static final long STORAGE_CLEAR_REFUND = 4800;
    public static final long CALL_STIPEND = 2300;
    public static final long CALL_VALUE = 9000;
    public static final long NEW_ACCOUNT = 25000;
    public static final long SELF_DESTRUCT = 5000;
    public static final long CREATE = 32000;
    public static final long CODE_DEPOSIT = 200;
    public static final long INIT_CODE_WORD = 2;
    public static final long KECCAK256 = 30;
    public static final long KECCAK256_WORD = 6;
    public static final long COPY_WORD = 3;
    public static final long EXP = 10;
    public static final long EXP_BYTE = 50;
    public static final long LOG = 375;
    public static final long LOG_TOPIC = 375;
    public static final long LOG_DATA = 8;
    public static final long MEMORY = 3;
    public static final long BLOCKHASH = 20;

    public static final int MAX_CODE_SIZE = 0x6000;
    public static final int MAX_INITCODE_SIZE = 2 * MAX_CODE_SIZE;
    public static final int STACK_LIMIT = 1024;
    public static final int DEPTH_LIMIT = 1024;

    public static long words(long bytes) {
        return (bytes + 31) >>> 5;
    }

    /** Total cost of a memory of this many words: 3w + w^2/512. */
    public static long memoryCost(long words) {
        return MEMORY * words + (words * words) / 512;
    }

    /** All but one 64th (EIP-150). */
    public static long allButOne64th(long gas) {
        return gas - gas / 64;
    }
}
