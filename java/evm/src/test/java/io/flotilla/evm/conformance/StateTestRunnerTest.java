package io.flotilla.evm.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.crypto.Secp256k1;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.InMemoryWorldState;
import io.flotilla.evm.state.StateRoot;
import io.flotilla.evm.tx.Logs;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner on a hand-written state test: expected roots are derived here from the transfer's arithmetic. */
class StateTestRunnerTest {
    private static final String KEY = "45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";
    private static final Address SENDER = Secp256k1.addressOf(new BigInteger(KEY, 16));
    private static final Address TO = Address.fromHex("0x095e7baea6a6c7c4c2dfeb977efac326af552d87");
    private static final Address COINBASE = Address.fromHex("0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba");
    private static final long BALANCE = 1_000_000_000L;

    /** Post state of a 21000-gas transfer of `value` at gas price 10 with base fee 7. */
    private static String rootAfterTransfer(long value) {
        InMemoryWorldState w = new InMemoryWorldState();
        w.putAccount(SENDER, Account.of(1, Word.of(BALANCE - value - 21000 * 10), new byte[0]));
        w.putAccount(TO, Account.of(0, Word.of(value), new byte[0]));
        w.putAccount(COINBASE, Account.of(0, Word.of(21000 * 3), new byte[0]));
        return Hex.encode(StateRoot.compute(w));
    }

    private static String preRoot() {
        InMemoryWorldState w = new InMemoryWorldState();
        w.putAccount(SENDER, Account.of(0, Word.of(BALANCE), new byte[0]));
        return Hex.encode(StateRoot.compute(w));
    }

    private static String testJson() {
        String emptyLogs = Hex.encode(Logs.hash(List.of()));
        return """
                {"transfer": {
                  "env": {"currentCoinbase": "%s", "currentGasLimit": "0x1000000", "currentNumber": "0x01",
                          "currentTimestamp": "0x03e8", "currentRandom": "0x00", "currentBaseFee": "0x07",
                          "currentExcessBlobGas": "0x00"},
                  "pre": {"%s": {"balance": "%s", "code": "0x", "nonce": "0x00", "storage": {}}},
                  "transaction": {"data": ["0x"], "gasLimit": ["0x5208", "0x5207"], "gasPrice": "0x0a",
                                  "nonce": "0x00", "secretKey": "0x%s", "to": "%s", "value": ["0x05", "0x06"]},
                  "post": {"Cancun": [
                    {"indexes": {"data": 0, "gas": 0, "value": 0}, "hash": "%s", "logs": "%s"},
                    {"indexes": {"data": 0, "gas": 0, "value": 1}, "hash": "%s", "logs": "%s"},
                    {"indexes": {"data": 0, "gas": 1, "value": 0}, "hash": "%s", "logs": "%s",
                     "expectException": "TransactionException.INTRINSIC_GAS_TOO_LOW"}
                  ]}
                }}
                """.formatted(COINBASE, SENDER, "0x" + Long.toHexString(BALANCE), KEY, TO,
                rootAfterTransfer(5), emptyLogs,
                rootAfterTransfer(5), emptyLogs, // wrong on purpose: value index 1 sends 6
                preRoot(), emptyLogs);
    }

    @Test
    void reportsPerFolderAndClosingTotals(@TempDir Path dir) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("stDemo"));
        Files.writeString(folder.resolve("demo.json"), testJson());
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StateTestRunner.Summary s = new StateTestRunner(10_000, true, new PrintStream(buf, true, StandardCharsets.UTF_8)).run(dir);
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(2, s.passed(), out);
        assertEquals(1, s.failed(), out);
        assertTrue(out.contains("FAIL stDemo/demo.json/transfer[d0,g0,v1]: state root"), out);
        assertTrue(out.contains("stDemo: 2 passed, 1 failed\n"), out);
        assertTrue(out.endsWith("2 passed, 1 failed\n"), out);
    }
}
