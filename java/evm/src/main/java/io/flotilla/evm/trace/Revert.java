package io.flotilla.evm.trace;

import io.flotilla.evm.vm.HaltReason;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Error texts as geth words them, and the reason decoded from revert data (Error(string) and Panic(uint256)). */
public final class Revert {
    private Revert() {
    }

    /** geth's error string for a failed frame. */
    public static String error(HaltReason r, int op) {
        return switch (r) {
            case REVERTED -> "execution reverted";
            case OUT_OF_GAS, PRECOMPILE_FAILURE -> "out of gas";
            case STACK_UNDERFLOW -> "stack underflow";
            case STACK_OVERFLOW -> "stack limit reached 1024";
            case INVALID_JUMP -> "invalid jump destination";
            case INVALID_OPCODE -> op == 0xFE ? "invalid opcode: INVALID" : String.format("invalid opcode: opcode 0x%x not defined", op);
            case STATIC_STATE_CHANGE -> "write protection";
            case RETURN_DATA_OUT_OF_BOUNDS -> "return data out of bounds";
            case INVALID_CONTRACT_PREFIX -> "invalid code: must not begin with 0xef";
            case CODE_SIZE_EXCEEDED -> "max code size exceeded";
            case INITCODE_SIZE_EXCEEDED -> "max initcode size exceeded";
            case ADDRESS_COLLISION -> "contract address collision";
            case CALL_DEPTH_EXCEEDED -> "max call depth exceeded";
            case INSUFFICIENT_BALANCE -> "insufficient balance for transfer";
        };
    }

    /** geth's text for an SSTORE refused because the frame held no more than the 2,300-gas stipend (EIP-2200). */
    public static final String SENTRY = "out of gas: not enough gas for reentrancy sentry";

    /** Whether a frame that ran out of gas on {@code op} with {@code gasBefore} left failed on the SSTORE sentry. */
    public static boolean sentry(io.flotilla.evm.vm.HaltReason r, int op, long gasBefore) {
        return r == io.flotilla.evm.vm.HaltReason.OUT_OF_GAS && op == 0x55 && gasBefore <= 2300;
    }

    /** The reason in revert data: Error(string)'s text, Panic(uint256)'s meaning; null for anything else. */
    public static String reason(byte[] data) {
        if (data.length < 36) return null;
        int sel = ((data[0] & 0xFF) << 24) | ((data[1] & 0xFF) << 16) | ((data[2] & 0xFF) << 8) | (data[3] & 0xFF);
        try {
            if (sel == 0x08c379a0 && data.length >= 68) {
                int off = 4 + new BigInteger(1, Arrays.copyOfRange(data, 4, 36)).intValueExact();
                int len = new BigInteger(1, Arrays.copyOfRange(data, off, off + 32)).intValueExact();
                if (off + 32 + len <= data.length) return new String(data, off + 32, len, StandardCharsets.UTF_8);
            } else if (sel == 0x4e487b71) {
                BigInteger code = new BigInteger(1, Arrays.copyOfRange(data, 4, 36));
                return panic(code);
            }
        } catch (ArithmeticException | IndexOutOfBoundsException | IllegalArgumentException e) {
            return null;
        }
        return null;
    }

    private static String panic(BigInteger code) {
        if (code.bitLength() > 8) return "unknown panic code: 0x" + code.toString(16);
        return switch (code.intValue()) {
            case 0x00 -> "generic panic";
            case 0x01 -> "assert(false)";
            case 0x11 -> "arithmetic underflow or overflow";
            case 0x12 -> "division or modulo by zero";
            case 0x21 -> "enum overflow";
            case 0x22 -> "invalid encoded storage byte array accessed";
            case 0x31 -> "out-of-bounds array access; popping on an empty array";
            case 0x32 -> "out-of-bounds access of an array or bytesN";
            case 0x41 -> "out of memory";
            case 0x51 -> "uninitialized function";
            default -> "unknown panic code: 0x" + code.toString(16);
        };
    }
}
