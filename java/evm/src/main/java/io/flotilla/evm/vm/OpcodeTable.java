package io.flotilla.evm.vm;

/** Per-opcode stack inputs/outputs, static gas and validity for Cancun; filled once, never written after. */
final class OpcodeTable {
    private OpcodeTable() {
    }

    static final int[] STACK_IN = new int[256];
    static final int[] STACK_OUT = new int[256];
    static final long[] STATIC_GAS = new long[256];
    static final boolean[] DEFINED = new boolean[256];

    private static void op(int code, int in, int out, long gas) {
        STACK_IN[code] = in;
        STACK_OUT[code] = out;
        STATIC_GAS[code] = gas;
        DEFINED[code] = true;
    }

    static {
        op(0x00, 0, 0, 0);
        op(0x01, 2, 1, Gas.VERY_LOW);
        op(0x02, 2, 1, Gas.LOW);
        op(0x03, 2, 1, Gas.VERY_LOW);
        op(0x04, 2, 1, Gas.LOW);
        op(0x05, 2, 1, Gas.LOW);
        op(0x06, 2, 1, Gas.LOW);
        op(0x07, 2, 1, Gas.LOW);
        op(0x08, 3, 1, Gas.MID);
        op(0x09, 3, 1, Gas.MID);
        op(0x0A, 2, 1, Gas.EXP);
        op(0x0B, 2, 1, Gas.LOW);
        for (int c = 0x10; c <= 0x14; c++) op(c, 2, 1, Gas.VERY_LOW);
        op(0x15, 1, 1, Gas.VERY_LOW);
        op(0x16, 2, 1, Gas.VERY_LOW);
        op(0x17, 2, 1, Gas.VERY_LOW);
        op(0x18, 2, 1, Gas.VERY_LOW);
        op(0x19, 1, 1, Gas.VERY_LOW);
        for (int c = 0x1A; c <= 0x1D; c++) op(c, 2, 1, Gas.VERY_LOW);
        op(0x20, 2, 1, Gas.KECCAK256);
        op(0x30, 0, 1, Gas.BASE);
        op(0x31, 1, 1, 0);
        op(0x32, 0, 1, Gas.BASE);
        op(0x33, 0, 1, Gas.BASE);
        op(0x34, 0, 1, Gas.BASE);
        op(0x35, 1, 1, Gas.VERY_LOW);
        op(0x36, 0, 1, Gas.BASE);
        op(0x37, 3, 0, Gas.VERY_LOW);
        op(0x38, 0, 1, Gas.BASE);
        op(0x39, 3, 0, Gas.VERY_LOW);
        op(0x3A, 0, 1, Gas.BASE);
        op(0x3B, 1, 1, 0);
        op(0x3C, 4, 0, 0);
        op(0x3D, 0, 1, Gas.BASE);
        op(0x3E, 3, 0, Gas.VERY_LOW);
        op(0x3F, 1, 1, 0);
        op(0x40, 1, 1, Gas.BLOCKHASH);
        for (int c = 0x41; c <= 0x46; c++) op(c, 0, 1, Gas.BASE);
        op(0x47, 0, 1, Gas.LOW);
        op(0x48, 0, 1, Gas.BASE);
        op(0x49, 1, 1, Gas.VERY_LOW);
        op(0x4A, 0, 1, Gas.BASE);
        op(0x50, 1, 0, Gas.BASE);
        op(0x51, 1, 1, Gas.VERY_LOW);
        op(0x52, 2, 0, Gas.VERY_LOW);
        op(0x53, 2, 0, Gas.VERY_LOW);
        op(0x54, 1, 1, 0);
        op(0x55, 2, 0, 0);
        op(0x56, 1, 0, Gas.MID);
        op(0x57, 2, 0, Gas.HIGH);
        op(0x58, 0, 1, Gas.BASE);
        op(0x59, 0, 1, Gas.BASE);
        op(0x5A, 0, 1, Gas.BASE);
        op(0x5B, 0, 0, Gas.JUMPDEST);
        op(0x5C, 1, 1, Gas.WARM_ACCESS);
        op(0x5D, 2, 0, Gas.WARM_ACCESS);
        op(0x5E, 3, 0, Gas.VERY_LOW);
        op(0x5F, 0, 1, Gas.BASE);
        for (int c = 0x60; c <= 0x7F; c++) op(c, 0, 1, Gas.VERY_LOW);
        for (int n = 1; n <= 16; n++) {
            op(0x7F + n, n, n + 1, Gas.VERY_LOW);
            op(0x8F + n, n + 1, n + 1, Gas.VERY_LOW);
        }
        for (int n = 0; n <= 4; n++) op(0xA0 + n, n + 2, 0, Gas.LOG + n * Gas.LOG_TOPIC);
        op(0xF0, 3, 1, Gas.CREATE);
        op(0xF1, 7, 1, 0);
        op(0xF2, 7, 1, 0);
        op(0xF3, 2, 0, 0);
        op(0xF4, 6, 1, 0);
        op(0xF5, 4, 1, Gas.CREATE);
        op(0xFA, 6, 1, 0);
        op(0xFD, 2, 0, 0);
        op(0xFF, 1, 0, Gas.SELF_DESTRUCT);
    }
}
