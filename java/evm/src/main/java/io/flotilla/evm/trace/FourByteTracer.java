package io.flotilla.evm.trace;

import io.flotilla.evm.tx.TxExecution;
import io.flotilla.evm.vm.Message;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** geth's 4byteTracer: how often each 4-byte selector was called with each argument size ("0xa9059cbb-64": 2). */
public final class FourByteTracer implements TxTracer {
    private final Map<String, Integer> ids = new LinkedHashMap<>();
    private final TraceLimits limits;

    public FourByteTracer(TraceLimits limits) {
        this.limits = limits;
    }

    @Override
    public void enter(int op, Message m) {
        if (op == 0xF0 || op == 0xF5 || op == 0xFF || m.data().length < 4) return;
        String key = "0x" + HexFormat.of().formatHex(m.data(), 0, 4) + "-" + (m.data().length - 4);
        if (ids.merge(key, 1, Integer::sum) == 1) limits.add(key.length() + 10);
    }

    @Override
    public Object result(TxExecution ex, long gasLimit, long gasUsed) {
        return ids;
    }
}
