package io.flotilla.chain.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.web3j.crypto.ContractUtils;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.utils.Numeric;

/**
 * The ERC-20 workload, identical on every target: the owner (Hardhat account #0, nonce 0) deploys BenchToken
 * (contracts/bench/BenchToken.sol, bytecode from the Hardhat artifact) and gives each of {@code senders} accounts
 * the same token balance; the measured transfers are then pre-signed legacy EIP-155 transactions, transaction
 * {@code j} from sender {@code j mod senders} (nonces counted locally, from 0) to another sender, 1 token each.
 * Transfers between holders keep the set of token balances fixed, so the sum over the senders must not change.
 */
final class Workload {

    static final Credentials OWNER = Credentials.create("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    static final BigInteger ETHER = BigInteger.TEN.pow(18);
    static final BigInteger SUPPLY = BigInteger.TEN.pow(9).multiply(ETHER);
    static final BigInteger PER_SENDER = BigInteger.TEN.pow(6).multiply(ETHER);
    static final BigInteger AMOUNT = ETHER;
    /** Native coin each sender holds before the run (genesis allocation, or hardhat_setBalance). */
    static final BigInteger SENDER_FUNDS = BigInteger.valueOf(1_000).multiply(ETHER);
    static final BigInteger GAS_PRICE = BigInteger.valueOf(10_000_000_000L); // 10 gwei, above either chain's price
    static final BigInteger TRANSFER_GAS = BigInteger.valueOf(100_000);
    private static final int FUNDING_CHUNK = 50; // the mempool keeps at most 64 pending transactions per sender

    final List<Credentials> senders = new ArrayList<>();
    final String token;
    private final byte[] creationCode;

    Workload(Path artifacts, int senderCount) throws IOException {
        Path file = artifacts.resolve("contracts/bench/BenchToken.sol/BenchToken.json");
        if (!Files.isRegularFile(file)) {
            throw new IOException("no artifact " + file + " (run hardhat compile)");
        }
        this.creationCode = Numeric.hexStringToByteArray(Rpc.JSON.readTree(file.toFile()).get("bytecode").asText());
        for (int i = 0; i < senderCount; i++) {
            BigInteger key = new BigInteger(1, Hash.sha3(("flotilla-bench-sender-" + i).getBytes(StandardCharsets.UTF_8)));
            senders.add(Credentials.create(Numeric.toHexStringWithPrefixZeroPadded(key, 64)));
        }
        this.token = ContractUtils.generateContractAddress(OWNER.getAddress(), BigInteger.ZERO);
    }

    /** The pre-signed transfers of one run. */
    record Signed(String[] rawHex, String[] hashes, int[] sender, int[] recipient) {
        int size() {
            return rawHex.length;
        }

        Map<String, Integer> indexByHash() {
            Map<String, Integer> m = new HashMap<>(hashes.length * 2);
            for (int i = 0; i < hashes.length; i++) {
                m.put(hashes[i], i);
            }
            return m;
        }
    }

    /** Signs {@code count} transfers for {@code chainId} on all cores. */
    Signed sign(long chainId, int count) {
        int n = senders.size();
        String[] raw = new String[count];
        String[] hashes = new String[count];
        int[] from = new int[count];
        int[] to = new int[count];
        IntStream.range(0, count).parallel().forEach(j -> {
            int s = j % n;
            int round = j / n;
            int r = (s + 1 + round % (n - 1)) % n;
            RawTransaction tx = RawTransaction.createTransaction(BigInteger.valueOf(round), GAS_PRICE, TRANSFER_GAS, token, BigInteger.ZERO,
                    transferData(senders.get(r).getAddress(), AMOUNT));
            byte[] signed = TransactionEncoder.signMessage(tx, chainId, senders.get(s));
            raw[j] = Numeric.toHexString(signed);
            hashes[j] = Numeric.toHexString(Hash.sha3(signed));
            from[j] = s;
            to[j] = r;
        });
        return new Signed(raw, hashes, from, to);
    }

    static String transferData(String to, BigInteger amount) {
        return "0xa9059cbb" + Numeric.toHexStringNoPrefixZeroPadded(Numeric.toBigInt(to), 64) + Numeric.toHexStringNoPrefixZeroPadded(amount, 64);
    }

    /**
     * Deploys the token from the owner (nonce 0, so it lands at {@link #token}) and funds every sender with
     * {@link #PER_SENDER} tokens, in chunks the mempool accepts, waiting for each chunk's receipts.
     */
    void setUp(Rpc rpc, long chainId) throws IOException, InterruptedException {
        long nonce = Rpc.quantity(rpc.call("eth_getTransactionCount", OWNER.getAddress(), "latest"));
        if (nonce != 0) {
            throw new IOException("the owner's nonce is " + nonce + ", expected a fresh chain");
        }
        String constructorArg = Numeric.toHexStringNoPrefixZeroPadded(SUPPLY, 64);
        RawTransaction deploy = RawTransaction.createContractTransaction(BigInteger.ZERO, GAS_PRICE, BigInteger.valueOf(3_000_000), BigInteger.ZERO,
                Numeric.toHexString(creationCode) + constructorArg);
        String deployHash = send(rpc, deploy, chainId);
        JsonNode receipt = awaitReceipts(rpc, List.of(deployHash)).get(0);
        if (!token.equalsIgnoreCase(receipt.path("contractAddress").asText())) {
            throw new IOException("token deployed at " + receipt.path("contractAddress") + ", expected " + token);
        }
        for (int from = 0; from < senders.size(); from += FUNDING_CHUNK) {
            List<String> hashes = new ArrayList<>();
            for (int i = from; i < Math.min(senders.size(), from + FUNDING_CHUNK); i++) {
                RawTransaction tx = RawTransaction.createTransaction(BigInteger.valueOf(1 + i), GAS_PRICE, TRANSFER_GAS, token, BigInteger.ZERO,
                        transferData(senders.get(i).getAddress(), PER_SENDER));
                hashes.add(send(rpc, tx, chainId));
            }
            awaitReceipts(rpc, hashes);
        }
        List<BigInteger> balances = balances(rpc);
        for (int i = 0; i < balances.size(); i++) {
            if (!balances.get(i).equals(PER_SENDER)) {
                throw new IOException("sender " + i + " holds " + balances.get(i) + " tokens after funding");
            }
        }
    }

    private static String send(Rpc rpc, RawTransaction tx, long chainId) throws IOException {
        return rpc.call("eth_sendRawTransaction", Numeric.toHexString(TransactionEncoder.signMessage(tx, chainId, OWNER))).asText();
    }

    /** Waits (up to 60 s) until every transaction has a receipt; fails on a failed one. */
    static List<JsonNode> awaitReceipts(Rpc rpc, List<String> hashes) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            List<Object[]> params = hashes.stream().map(h -> new Object[] {h}).toList();
            List<JsonNode> receipts = rpc.batch("eth_getTransactionReceipt", params);
            if (receipts.stream().allMatch(r -> r != null && !r.isNull())) {
                for (JsonNode r : receipts) {
                    if (!"0x1".equals(r.path("status").asText())) {
                        throw new IOException("setup transaction failed: " + r);
                    }
                }
                return receipts;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("setup transactions not mined within 60 s");
            }
            Thread.sleep(100);
        }
    }

    /** Every sender's token balance (eth_call balanceOf at the latest block). */
    List<BigInteger> balances(Rpc rpc) throws IOException {
        List<Object[]> calls = new ArrayList<>();
        for (Credentials s : senders) {
            String data = "0x70a08231" + Numeric.toHexStringNoPrefixZeroPadded(Numeric.toBigInt(s.getAddress()), 64);
            calls.add(new Object[] {Map.of("to", token, "data", data), "latest"});
        }
        List<BigInteger> out = new ArrayList<>();
        for (JsonNode r : rpc.batch("eth_call", calls)) {
            if (r == null) {
                throw new IOException("balanceOf failed");
            }
            out.add(Numeric.toBigInt(r.asText()));
        }
        return out;
    }
}
