package io.flotilla.agent.it;

import java.io.IOException;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.utils.Numeric;

/**
 * A user's steady traffic during a rotation: one ERC-20 transfer every {@code period} sent through one member's
 * JSON-RPC, each with the next nonce once the previous one was accepted (a send that fails is retried with the same
 * nonce). A watcher reads every new block from the same member every 100 ms and notes when each accepted transfer
 * was first seen included. The result: transfers accepted, included, lost (accepted, never included), the longest
 * gap between two inclusions, and when each was included.
 */
final class TransferLoad implements AutoCloseable {

    /** {@code gapEnd}: when the longest gap ended (null without inclusions). */
    record Result(int accepted, int included, List<String> lost, Duration longestGap, Instant gapEnd, Instant lastInclusion) {

        String json(double recoverySeconds) {
            return String.format("{\"bench\":\"rotation\",\"accepted\":%d,\"lost\":%d,\"longest_gap_ms\":%d,\"recovery_s\":%.1f}",
                    accepted, lost.size(), longestGap.toMillis(), recoverySeconds);
        }
    }

    private final Web3j via;
    private final long evmChainId;
    private final Credentials sender;
    private final String token;
    private final BigInteger gasPrice;
    private final ScheduledExecutorService threads = Executors.newScheduledThreadPool(2);
    private final Map<String, String> acceptedTo = new ConcurrentHashMap<>();
    private final Map<String, Instant> includedAt = new ConcurrentHashMap<>();
    private final List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
    private BigInteger nonce;
    private long nextBlock;
    private int k;

    TransferLoad(Web3j via, long evmChainId, Credentials sender, String token, BigInteger gasPrice, BigInteger firstNonce) throws IOException {
        this.via = via;
        this.evmChainId = evmChainId;
        this.sender = sender;
        this.token = token;
        this.gasPrice = gasPrice;
        this.nonce = firstNonce;
        this.nextBlock = via.ethBlockNumber().send().getBlockNumber().longValueExact() + 1;
    }

    void start(Duration period) {
        threads.scheduleAtFixedRate(this::sendOne, 0, period.toMillis(), TimeUnit.MILLISECONDS);
        threads.scheduleWithFixedDelay(this::watch, 0, 100, TimeUnit.MILLISECONDS);
    }

    /** Recipient -> amount (1 token unit each) of the accepted transfers. */
    Map<String, BigInteger> amounts() {
        Map<String, BigInteger> out = new LinkedHashMap<>();
        acceptedTo.values().forEach(to -> out.merge(to, BigInteger.ONE, BigInteger::add));
        return out;
    }

    private void sendOne() {
        try {
            String to = String.format("0x%040x", 0xB0A7000 + k % 16);
            String data = FunctionEncoder.encode(new Function("transfer", List.of(new Address(to), new Uint256(BigInteger.ONE)), List.of()));
            RawTransaction tx = RawTransaction.createTransaction(nonce, gasPrice, BigInteger.valueOf(100_000), token, data);
            var sent = via.ethSendRawTransaction(Numeric.toHexString(TransactionEncoder.signMessage(tx, evmChainId, sender))).send();
            if (!sent.hasError() && sent.getTransactionHash() != null) {
                acceptedTo.put(sent.getTransactionHash(), to);
                order.add(sent.getTransactionHash());
                nonce = nonce.add(BigInteger.ONE);
                k++;
            }
        } catch (IOException | RuntimeException e) {
            // not accepted: the same nonce goes out on the next tick
        }
    }

    private void watch() {
        try {
            long head = via.ethBlockNumber().send().getBlockNumber().longValueExact();
            while (nextBlock <= head) {
                EthBlock.Block block = via.ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(nextBlock)), false).send().getBlock();
                if (block == null) {
                    return;
                }
                Instant now = Instant.now();
                for (EthBlock.TransactionResult<?> t : block.getTransactions()) {
                    includedAt.putIfAbsent(String.valueOf(t.get()), now);
                }
                nextBlock++;
            }
        } catch (IOException | RuntimeException e) {
            // the member is busy or restarting: read on at the next tick
        }
    }

    /** Stops sending, then waits up to {@code timeout} for every accepted transfer to be included. */
    Result finish(Duration timeout) throws InterruptedException {
        threads.shutdown();
        threads.awaitTermination(5, TimeUnit.SECONDS);
        Instant deadline = Instant.now().plus(timeout);
        while (!includedAt.keySet().containsAll(acceptedTo.keySet()) && Instant.now().isBefore(deadline)) {
            watch();
            Thread.sleep(200);
        }
        List<String> lost = new ArrayList<>();
        List<Instant> times = new ArrayList<>();
        synchronized (order) {
            for (String h : order) {
                Instant at = includedAt.get(h);
                if (at == null) {
                    lost.add(h);
                } else {
                    times.add(at);
                }
            }
        }
        times.sort(null);
        Duration gap = Duration.ZERO;
        Instant gapEnd = times.isEmpty() ? null : times.getFirst();
        for (int i = 1; i < times.size(); i++) {
            Duration d = Duration.between(times.get(i - 1), times.get(i));
            if (d.compareTo(gap) > 0) {
                gap = d;
                gapEnd = times.get(i);
            }
        }
        return new Result(acceptedTo.size(), times.size(), lost, gap, gapEnd, times.isEmpty() ? null : times.getLast());
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
