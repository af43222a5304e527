package io.flotilla.evm.bench;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A tiny EVM assembler for the synthetic benchmark contracts: opcodes, pushes and PUSH2 label references. */
final class Asm {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Map<String, Integer> labels = new HashMap<>();
    private final List<Map.Entry<Integer, String>> fixups = new ArrayList<>();

    Asm op(int... opcodes) {
        for (int o : opcodes) out.write(o);
        return this;
    }

    /** PUSHn with the minimal width for {@code value} (at least one byte). */
    Asm push(long value) {
        int n = Math.max(1, (64 - Long.numberOfLeadingZeros(value) + 7) / 8);
        out.write(0x5f + n);
        for (int i = n - 1; i >= 0; i--) out.write((int) (value >>> (8 * i)));
        return this;
    }

    /** PUSH32 of a 32-byte constant given as 64 hex digits. */
    Asm push32(String hex64) {
        if (hex64.length() != 64) throw new IllegalArgumentException("need 64 hex digits");
        out.write(0x7f);
        for (int i = 0; i < 64; i += 2) out.write(Integer.parseInt(hex64.substring(i, i + 2), 16));
        return this;
    }

    /** Marks a jump destination here (emits JUMPDEST). */
    Asm label(String name) {
        labels.put(name, out.size());
        out.write(0x5b);
        return this;
    }

    /** PUSH2 of a label's offset, resolved in {@link #build()}. */
    Asm pushLabel(String name) {
        out.write(0x61);
        fixups.add(Map.entry(out.size(), name));
        out.write(0);
        out.write(0);
        return this;
    }

    byte[] build() {
        byte[] code = out.toByteArray();
        for (Map.Entry<Integer, String> f : fixups) {
            Integer at = labels.get(f.getValue());
            if (at == null) throw new IllegalStateException("undefined label " + f.getValue());
            code[f.getKey()] = (byte) (at >>> 8);
            code[f.getKey() + 1] = (byte) (int) at;
        }
        return code;
    }
}
