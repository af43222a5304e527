package io.flotilla.evm.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.crypto.Secp256k1;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.InMemoryWorldState;
import io.flotilla.evm.state.StateRoot;
import io.flotilla.evm.state.WorldState;
import io.flotilla.evm.tx.AccessListEntry;
import io.flotilla.evm.tx.Logs;
import io.flotilla.evm.tx.Transaction;
import io.flotilla.evm.tx.TransactionProcessor;
import io.flotilla.evm.tx.TxOutcome;
import io.flotilla.evm.tx.TxRejection;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import io.flotilla.evm.vm.BlockEnv;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Runs one state-test case and compares state root, logs hash and expected rejection. */
public final class StateTestExecutor {
    private final TransactionProcessor processor = new TransactionProcessor();

    public CaseResult run(StateTestCase c) {
        JsonNode test = c.test();
        WorldState world = preState(test.path("pre"));
        BlockEnv block = blockEnv(test.path("env"));
        Transaction tx;
        try {
            tx = transaction(test.path("transaction"), c);
        } catch (RuntimeException e) {
            // A transaction the suite could not even encode is only valid as an expected rejection.
            return c.expected().has("expectException")
                    ? new CaseResult.Passed()
                    : new CaseResult.Failed("cannot build transaction: " + e);
        }
        TxOutcome outcome = processor.process(world, block, tx);
        // An error inside this implementation is never the rejection a test expects (those are validity rules).
        if (outcome instanceof TxOutcome.Rejected r && r.reason() == TxRejection.EXECUTION_FAILED) {
            return new CaseResult.Failed("execution failed: " + r.detail());
        }
        String expectedException = c.expected().path("expectException").asText("");
        byte[] root = StateRoot.compute(world);
        byte[] expectedRoot = Hex.decode(c.expected().path("hash").asText());
        if (!expectedException.isEmpty()) {
            if (!(outcome instanceof TxOutcome.Rejected)) return new CaseResult.Failed("expected " + expectedException + " but transaction was included");
        } else if (outcome instanceof TxOutcome.Rejected r) {
            return new CaseResult.Failed("unexpected rejection " + r.reason() + " " + r.detail());
        }
        if (!Arrays.equals(root, expectedRoot)) {
            return new CaseResult.Failed("state root " + Hex.encode(root) + " != " + Hex.encode(expectedRoot));
        }
        if (outcome instanceof TxOutcome.Included inc) {
            byte[] logsHash = Logs.hash(inc.receipt().logs());
            byte[] expectedLogs = Hex.decode(c.expected().path("logs").asText());
            if (!Arrays.equals(logsHash, expectedLogs)) {
                return new CaseResult.Failed("logs hash " + Hex.encode(logsHash) + " != " + Hex.encode(expectedLogs));
            }
        }
        return new CaseResult.Passed();
    }

    static BigInteger big(JsonNode n) {
        String s = n.asText("0");
        if (s.startsWith("0x") || s.startsWith("0X")) {
            String h = s.substring(2);
            return h.isEmpty() ? BigInteger.ZERO : new BigInteger(h, 16);
        }
        return s.isEmpty() ? BigInteger.ZERO : new BigInteger(s);
    }

    private static long u64(JsonNode n) {
        BigInteger v = big(n);
        if (v.bitLength() > 64) throw new IllegalArgumentException("value exceeds 64 bits: " + v);
        return v.longValue();
    }

    static WorldState preState(JsonNode pre) {
        InMemoryWorldState w = new InMemoryWorldState();
        Iterator<Map.Entry<String, JsonNode>> it = pre.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            Address a = Address.fromHex(e.getKey());
            JsonNode acc = e.getValue();
            w.putAccount(a, Account.of(u64(acc.path("nonce")), Word.fromBigInteger(big(acc.path("balance"))),
                    Hex.decode(acc.path("code").asText("0x"))));
            Iterator<Map.Entry<String, JsonNode>> slots = acc.path("storage").fields();
            while (slots.hasNext()) {
                Map.Entry<String, JsonNode> s = slots.next();
                w.putStorage(a, Word.fromHex(s.getKey()), Word.fromBigInteger(big(s.getValue())));
            }
        }
        return w;
    }

    static BlockEnv blockEnv(JsonNode env) {
        JsonNode random = env.has("currentRandom") ? env.path("currentRandom") : env.path("currentDifficulty");
        return new BlockEnv(
                Address.fromHex(env.path("currentCoinbase").asText()),
                u64(env.path("currentNumber")),
                u64(env.path("currentTimestamp")),
                u64(env.path("currentGasLimit")),
                Word.fromBigInteger(big(env.path("currentBaseFee"))),
                Word.fromBigInteger(big(random)),
                1,
                u64(env.path("currentExcessBlobGas")),
                // The suite's convention for historic block hashes: keccak of the decimal block number.
                n -> Word.fromBytes(Keccak.hash(Long.toString(n).getBytes(StandardCharsets.US_ASCII))));
    }

    static Transaction transaction(JsonNode t, StateTestCase c) {
        Address sender = t.hasNonNull("secretKey")
                ? Secp256k1.addressOf(big(t.path("secretKey")))
                : Address.fromHex(t.path("sender").asText());
        String toText = t.path("to").asText("");
        Address to = toText.isEmpty() ? null : Address.fromHex(toText);
        byte[] data = Hex.decode(t.path("data").get(c.dataIndex()).asText());
        BigInteger gasLimit = big(t.path("gasLimit").get(c.gasIndex()));
        BigInteger value = big(t.path("value").get(c.valueIndex()));
        if (value.bitLength() > 256) throw new IllegalArgumentException("value exceeds 256 bits");
        List<AccessListEntry> accessList = new ArrayList<>();
        JsonNode lists = t.path("accessLists");
        boolean hasAccessList = lists.isArray() && lists.size() > c.dataIndex() && !lists.get(c.dataIndex()).isNull();
        if (hasAccessList) {
            for (JsonNode e : lists.get(c.dataIndex())) {
                List<Word> keys = new ArrayList<>();
                for (JsonNode k : e.path("storageKeys")) keys.add(Word.fromHex(k.asText()));
                accessList.add(new AccessListEntry(Address.fromHex(e.path("address").asText()), keys));
            }
        }
        List<Word> blobHashes = new ArrayList<>();
        for (JsonNode h : t.path("blobVersionedHashes")) blobHashes.add(Word.fromHex(h.asText()));
        int type;
        if (t.has("maxFeePerBlobGas") || t.has("blobVersionedHashes")) type = 3;
        else if (t.has("maxFeePerGas")) type = 2;
        else if (hasAccessList) type = 1;
        else type = 0;
        return new Transaction(type, sender, u64(t.path("nonce")), gasLimit,
                t.has("gasPrice") ? big(t.path("gasPrice")) : null,
                t.has("maxFeePerGas") ? big(t.path("maxFeePerGas")) : null,
                t.has("maxPriorityFeePerGas") ? big(t.path("maxPriorityFeePerGas")) : null,
                to, value, data, List.copyOf(accessList),
                t.has("maxFeePerBlobGas") ? big(t.path("maxFeePerBlobGas")) : BigInteger.ZERO,
                List.copyOf(blobHashes));
    }
}
