package io.flotilla.evm.bench;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A small EVM assembler for benchmark and attack contracts (the EVM benchmark here, the chain's worst-case blocks):
 * opcodes, pushes of any width, labels (jump destinations or plain data marks) referenced by PUSH2, and raw data.
 */
public final class Asm {
    public static final int STOP = 0x00, ADD = 0x01, SUB = 0x03, LT = 0x10, GT = 0x11, ISZERO = 0x15, KECCAK256 = 0x20;
    public static final int ADDRESS = 0x30, BALANCE = 0x31, CALLER = 0x33, CALLDATALOAD = 0x35, CODECOPY = 0x39;
    public static final int EXTCODESIZE = 0x3b, EXTCODECOPY = 0x3c, POP = 0x50, MSTORE = 0x52, MSTORE8 = 0x53;
    public static final int SLOAD = 0x54, SSTORE = 0x55, JUMP = 0x56, JUMPI = 0x57, GAS = 0x5a, JUMPDEST = 0x5b, PUSH0 = 0x5f;
    public static final int DUP1 = 0x80, DUP2 = 0x81, DUP3 = 0x82, DUP4 = 0x83, DUP6 = 0x85, SWAP1 = 0x90;
    public static final int LOG3 = 0xa3, LOG4 = 0xa4, CREATE = 0xf0, CALL = 0xf1, RETURN = 0xf3, CREATE2 = 0xf5;
    public static final int STATICCALL = 0xfa, REVERT = 0xfd;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Map<String, Integer> labels = new HashMap<>();
    private final List<Map.Entry<Integer, String>> fixups = new ArrayList<>();

    public Asm op(int... opcodes) {
        for (int o : opcodes) out.write(o);
        return this;
    }

    /** PUSH0 for zero, else PUSHn of the minimal width. */
    public Asm push(long value) {
        if (value < 0) return push(BigInteger.valueOf(value).and(BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE)));
        if (value == 0) return op(PUSH0);
        int n = (64 - Long.numberOfLeadingZeros(value) + 7) / 8;
        out.write(0x5f + n);
        for (int i = n - 1; i >= 0; i--) out.write((int) (value >>> (8 * i)));
        return this;
    }

    /** PUSHn of an unsigned value below 2^256, minimal width. */
    public Asm push(BigInteger value) {
        if (value.signum() == 0) return op(PUSH0);
        byte[] b = value.toByteArray();
        int skip = b[0] == 0 ? 1 : 0;
        int n = b.length - skip;
        if (n > 32) throw new IllegalArgumentException("more than 32 bytes");
        out.write(0x5f + n);
        out.write(b, skip, n);
        return this;
    }

    /** PUSH32 of a 32-byte constant given as 64 hex digits. */
    public Asm push32(String hex64) {
        if (hex64.length() != 64) throw new IllegalArgumentException("need 64 hex digits");
        out.write(0x7f);
        for (int i = 0; i < 64; i += 2) out.write(Integer.parseInt(hex64.substring(i, i + 2), 16));
        return this;
    }

    /** A jump destination here (emits JUMPDEST). */
    public Asm label(String name) {
        mark(name);
        out.write(JUMPDEST);
        return this;
    }

    /** A named offset here without emitting anything (e.g. where appended data starts). */
    public Asm mark(String name) {
        if (labels.put(name, out.size()) != null) throw new IllegalStateException("label " + name + " defined twice");
        return this;
    }

    /** PUSH2 of a label's offset, resolved by {@link #build()}. */
    public Asm pushLabel(String name) {
        out.write(0x61);
        fixups.add(Map.entry(out.size(), name));
        out.write(0);
        out.write(0);
        return this;
    }

    public Asm jump(String name) {
        return pushLabel(name).op(JUMP);
    }

    public Asm jumpi(String name) {
        return pushLabel(name).op(JUMPI);
    }

    /** Jumps to {@code name} when less than {@code gas} gas is left (checked before each loop iteration). */
    public Asm exitIfGasBelow(long gas, String name) {
        return push(gas).op(GAS, LT).jumpi(name);
    }

    public Asm data(byte[] bytes) {
        out.write(bytes, 0, bytes.length);
        return this;
    }

    public int size() {
        return out.size();
    }

    public byte[] build() {
        byte[] code = out.toByteArray();
        for (Map.Entry<Integer, String> f : fixups) {
            Integer at = labels.get(f.getValue());
            if (at == null) throw new IllegalStateException("undefined label " + f.getValue());
            if (at > 0xFFFF) throw new IllegalStateException("label beyond PUSH2 reach");
            code[f.getKey()] = (byte) (at >>> 8);
            code[f.getKey() + 1] = (byte) (int) at;
        }
        return code;
    }
}
