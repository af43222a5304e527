package io.flotilla.chain.execution;

import io.flotilla.evm.tx.AccessListEntry;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import io.flotilla.evm.vm.Tracer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Collects what eth_createAccessList returns: accessed addresses and slots, without sender, recipient and precompiles. */
final class AccessListTracer implements Tracer {
    private final Address from;
    private final Address to;
    private final Map<Address, Set<Word>> seen = new LinkedHashMap<>();

    AccessListTracer(Address from, Address to) {
        this.from = from;
        this.to = to;
    }

    private void address(Address a) {
        if (a.equals(from) || a.equals(to)) return;
        int small = a.smallValue();
        if (small >= 1 && small <= 0x0a) return;
        seen.computeIfAbsent(a, k -> new LinkedHashSet<>());
    }

    @Override
    public void step(int pc, int op, StepContext f) {
        int n = f.stackSize();
        switch (op) {
            case 0x54, 0x55 -> {
                if (n < 1) return;
                Address self = f.message().target();
                seen.computeIfAbsent(self, k -> new LinkedHashSet<>()).add(f.stackWord(0));
            }
            case 0x31, 0x3B, 0x3C, 0x3F, 0xFF -> {
                if (n >= 1) address(Address.fromWord(f.stackWord(0)));
            }
            case 0xF1, 0xF2, 0xF4, 0xFA -> {
                if (n >= 2) address(Address.fromWord(f.stackWord(1)));
            }
            default -> {
            }
        }
    }

    List<AccessListEntry> list() {
        List<AccessListEntry> out = new ArrayList<>();
        seen.forEach((a, keys) -> out.add(new AccessListEntry(a, List.copyOf(keys))));
        return out;
    }
}
