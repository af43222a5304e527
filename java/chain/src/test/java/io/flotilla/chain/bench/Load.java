package io.flotilla.chain.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Open-loop load: transaction {@code j} is due at {@code t0 + j / rate}; {@code connections} threads, each with
 * its own HTTP connection, send the transactions of their senders (sender mod connections, so a sender's nonces
 * leave in order) at their due time, or at once when behind. The send time of each transaction is taken just
 * before its request is written. A transfer refused because the pool is full is offered again after a pause of its
 * connection (backpressure, see {@link #send}), keeping its first send time; the lag behind the schedule is reported.
 * <p>Finality: with {@code pollUrls} given (BFT chains, where a committed block is final), a poller reads one
 * member's head every {@link #POLL_MILLIS} ms (the members in turn) and fetches each new block once; a transaction
 * is final when the committed block holding it is first seen. Without poll URLs (Hardhat automine, which mines the block
 * before it answers eth_sendRawTransaction) a transaction is final when its send is answered without error.
 */
final class Load {

    static final int POLL_MILLIS = 20;

    /** A block the poller saw: height, bench transactions in it, all transactions, gas used, when it was seen. */
    record BlockSeen(long number, int benchTxs, int txs, long gasUsed, long seenNanos, long timestamp, String proposer) {}

    private final Workload.Signed txs;
    private final List<String> sendUrls;
    private final List<String> pollUrls;
    private final double rate;
    private final int warmupSeconds;
    private final int seconds;
    private final int connections;
    private final int senders;
    private final long drainMillis;

    private final long[] due;
    private final AtomicLongArray sentAt;
    private final AtomicLongArray confirmedAt;
    private final boolean[] rejected;
    private final Map<String, Integer> errors = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong retried = new java.util.concurrent.atomic.AtomicLong();
    private final List<BlockSeen> blocks = new CopyOnWriteArrayList<>();
    private volatile boolean stopPolling;
    private long t0;
    private long startHeight;

    Load(Workload.Signed txs, List<String> sendUrls, List<String> pollUrls, double rate, int warmupSeconds, int seconds,
            int connections, int senders, long drainMillis) {
        this.txs = txs;
        this.sendUrls = sendUrls;
        this.pollUrls = pollUrls;
        this.rate = rate;
        this.warmupSeconds = warmupSeconds;
        this.seconds = seconds;
        this.connections = connections;
        this.senders = senders;
        this.drainMillis = drainMillis;
        int n = txs.size();
        this.due = new long[n];
        this.sentAt = new AtomicLongArray(n);
        this.confirmedAt = new AtomicLongArray(n);
        this.rejected = new boolean[n];
    }

    /** How many transactions a run of this length at this rate needs. */
    static int transactionsNeeded(double rate, int warmupSeconds, int seconds) {
        return (int) Math.ceil(rate * (warmupSeconds + seconds));
    }

    /** The head when the load began (BFT targets). */
    long startHeight() {
        return startHeight;
    }

    List<BlockSeen> blocks() {
        return blocks;
    }

    /** The blocks the poller saw, as CSV: height, bench and all transactions, gas, ms after the first due time, timestamp, proposer. */
    void writeTimeline(java.nio.file.Path file, Map<Long, Integer> rounds) throws IOException {
        StringBuilder b = new StringBuilder("number,bench_txs,txs,gas_used,seen_ms,timestamp,proposer,round\n");
        for (BlockSeen s : blocks) {
            b.append(s.number()).append(',').append(s.benchTxs()).append(',').append(s.txs()).append(',').append(s.gasUsed()).append(',')
                    .append((s.seenNanos() - t0) / 1_000_000).append(',').append(s.timestamp()).append(',').append(s.proposer()).append(',')
                    .append(rounds.getOrDefault(s.number(), -1)).append('\n');
        }
        java.nio.file.Files.writeString(file, b);
    }

    boolean confirmed(int j) {
        return confirmedAt.get(j) != 0;
    }

    boolean rejected(int j) {
        return rejected[j];
    }

    Map<String, Integer> errors() {
        return errors;
    }

    /** Sends everything, waits for finality (at most drainMillis after the last send), returns the figures. */
    Map<String, Object> run() throws InterruptedException, IOException {
        int n = txs.size();
        Map<String, Integer> index = txs.indexByHash();
        startHeight = 0;
        if (!pollUrls.isEmpty()) {
            Rpc rpc = new Rpc(pollUrls.get(0));
            startHeight = Rpc.quantity(rpc.call("eth_blockNumber"));
            rpc.close();
        }
        t0 = System.nanoTime() + 200_000_000L;
        for (int j = 0; j < n; j++) {
            due[j] = t0 + (long) (j * 1e9 / rate);
        }
        Thread poller = null;
        if (!pollUrls.isEmpty()) {
            long from = startHeight;
            poller = Thread.ofPlatform().name("poller").start(() -> poll(from, index));
        }
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < connections; w++) {
            int worker = w;
            workers.add(Thread.ofPlatform().name("sender-" + w).start(() -> send(worker)));
        }
        for (Thread t : workers) {
            t.join();
        }
        long sendEnd = System.nanoTime();
        long lastProgress = sendEnd;
        int lastConfirmed = -1;
        while (true) {
            int pending = 0;
            int confirmedNow = 0;
            for (int j = 0; j < n; j++) {
                if (confirmedAt.get(j) != 0) {
                    confirmedNow++;
                } else if (!rejected[j]) {
                    pending++;
                }
            }
            if (pending == 0) {
                break;
            }
            if (confirmedNow != lastConfirmed) {
                lastConfirmed = confirmedNow;
                lastProgress = System.nanoTime();
            }
            long now = System.nanoTime();
            if (now > due[n - 1] + drainMillis * 1_000_000L || now - lastProgress > 20_000_000_000L) {
                break;
            }
            Thread.sleep(50);
        }
        stopPolling = true;
        if (poller != null) {
            poller.join();
        }
        return figures();
    }

    private void send(int worker) {
        Rpc rpc = new Rpc(sendUrls.get(worker % sendUrls.size()));
        int[] mine = java.util.stream.IntStream.range(0, txs.size()).filter(j -> txs.sender()[j] % connections == worker).toArray();
        // Backpressure as a wallet would apply it: a transfer the pool refuses for lack of room is offered again
        // (its sender's later nonces could never be mined otherwise), before any new one, after a pause of this
        // connection that doubles from 250 ms to 2 s while refusals go on. Its send time stays the first attempt's.
        java.util.ArrayDeque<Integer> retries = new java.util.ArrayDeque<>();
        long giveUp = due[txs.size() - 1] + drainMillis * 1_000_000L;
        long pausedUntil = 0;
        long pause = 0;
        int k = 0;
        while (k < mine.length || !retries.isEmpty()) {
            long now = System.nanoTime();
            if (now < pausedUntil) {
                LockSupport.parkNanos(pausedUntil - now);
                continue;
            }
            if (!retries.isEmpty() && now > giveUp) {
                for (int j : retries) {
                    rejected[j] = true;
                    errors.merge("gave up: txpool is full", 1, Integer::sum);
                }
                break;
            }
            int j;
            boolean retry = !retries.isEmpty();
            if (retry) {
                j = retries.peek();
            } else if (due[mine[k]] <= now) {
                j = mine[k];
            } else {
                LockSupport.parkNanos(due[mine[k]] - now);
                continue;
            }
            switch (attempt(rpc, j, retry)) {
                case ACCEPTED, FAILED -> {
                    pause = 0;
                    if (retry) {
                        retries.poll();
                    } else {
                        k++;
                    }
                }
                case POOL_FULL -> {
                    if (!retry) {
                        retries.add(j);
                        k++;
                    }
                    pause = pause == 0 ? 250_000_000L : Math.min(2_000_000_000L, pause * 2);
                    pausedUntil = System.nanoTime() + pause;
                }
            }
        }
        rpc.close();
    }

    private enum Outcome { ACCEPTED, POOL_FULL, FAILED }

    private Outcome attempt(Rpc rpc, int j, boolean retry) {
        byte[] body = ("{\"jsonrpc\":\"2.0\",\"id\":" + j + ",\"method\":\"eth_sendRawTransaction\",\"params\":[\"" + txs.rawHex()[j] + "\"]}")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (!retry) {
            sentAt.set(j, System.nanoTime());
        }
        try {
            byte[] raw = rpc.sendOnce(body);
            long answered = System.nanoTime();
            String text = new String(raw, java.nio.charset.StandardCharsets.UTF_8);
            if (text.contains("\"result\"")) {
                if (pollUrls.isEmpty()) {
                    confirmedAt.compareAndSet(j, 0, answered);
                }
                return Outcome.ACCEPTED;
            }
            String message = Rpc.JSON.readTree(raw).path("error").path("message").asText(text);
            if (message.contains("txpool is full") || message.contains("too many pending transactions from sender")) {
                retried.incrementAndGet();
                errors.merge("refused, offered again: " + message, 1, Integer::sum);
                return Outcome.POOL_FULL;
            }
            if (retry && message.contains("already known")) {
                return Outcome.ACCEPTED;
            }
            rejected[j] = true;
            errors.merge(message, 1, Integer::sum);
        } catch (IOException | RuntimeException e) {
            rejected[j] = true;
            errors.merge(e.getClass().getSimpleName() + ": " + e.getMessage(), 1, Integer::sum);
        }
        return Outcome.FAILED;
    }

    private void poll(long startHeight, Map<String, Integer> index) {
        List<Rpc> rpcs = pollUrls.stream().map(Rpc::new).toList();
        long known = startHeight;
        int next = 0;
        while (!stopPolling) {
            // One member per interval, in turn: they commit within milliseconds of each other.
            for (Rpc rpc : List.of(rpcs.get(next++ % rpcs.size()))) {
                try {
                    long head = Rpc.quantity(rpc.call("eth_blockNumber"));
                    while (known < head) {
                        JsonNode block = rpc.call("eth_getBlockByNumber", Rpc.hex(known + 1), false);
                        long seen = System.nanoTime();
                        int bench = 0;
                        for (JsonNode h : block.path("transactions")) {
                            Integer j = index.get(h.asText());
                            if (j != null) {
                                confirmedAt.compareAndSet(j, 0, seen);
                                bench++;
                            }
                        }
                        known++;
                        blocks.add(new BlockSeen(known, bench, block.path("transactions").size(), Rpc.quantity(block.path("gasUsed")), seen,
                                Rpc.quantity(block.path("timestamp")), block.path("miner").asText()));
                    }
                } catch (IOException | RuntimeException e) {
                    errors.merge("poller: " + e.getMessage(), 1, Integer::sum);
                }
            }
            LockSupport.parkNanos(POLL_MILLIS * 1_000_000L);
        }
        rpcs.forEach(Rpc::close);
    }

    private Map<String, Object> figures() {
        long windowStart = t0 + warmupSeconds * 1_000_000_000L;
        long windowEnd = windowStart + seconds * 1_000_000_000L;
        int sent = 0;
        int rejectedCount = 0;
        int confirmedCount = 0;
        int sentInWindow = 0;
        int confirmedInWindow = 0;
        List<Double> latency = new ArrayList<>();
        List<Double> fromDue = new ArrayList<>();
        List<Double> sendLag = new ArrayList<>();
        for (int j = 0; j < txs.size(); j++) {
            long c = confirmedAt.get(j);
            if (c >= windowStart && c < windowEnd) {
                confirmedInWindow++;
            }
            long s = sentAt.get(j);
            if (s >= windowStart && s < windowEnd) {
                sentInWindow++;
            }
            if (due[j] < windowStart || due[j] >= windowEnd) {
                continue;
            }
            sent++;
            sendLag.add((s - due[j]) / 1e6);
            if (rejected[j]) {
                rejectedCount++;
            } else if (c != 0) {
                confirmedCount++;
                latency.add((c - s) / 1e6);
                fromDue.add((c - due[j]) / 1e6);
            }
        }
        Collections.sort(latency);
        Collections.sort(fromDue);
        Collections.sort(sendLag);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("tps", round1(confirmedInWindow / (double) seconds));
        f.put("p50_ms", percentile(latency, 50));
        f.put("p95_ms", percentile(latency, 95));
        f.put("p99_ms", percentile(latency, 99));
        f.put("max_ms", latency.isEmpty() ? null : Math.round(latency.get(latency.size() - 1)));
        f.put("offered_rate", rate);
        f.put("send_rate", round1(sentInWindow / (double) seconds));
        f.put("warmup_s", warmupSeconds);
        f.put("duration_s", seconds);
        f.put("sent", sent);
        f.put("rejected", rejectedCount);
        f.put("confirmed", confirmedCount);
        f.put("unconfirmed", sent - rejectedCount - confirmedCount);
        f.put("retried_sends", retried.get());
        f.put("p95_from_due_ms", percentile(fromDue, 95));
        f.put("send_lag_p95_ms", percentile(sendLag, 95));
        if (!pollUrls.isEmpty()) {
            List<BlockSeen> inWindow = blocks.stream().filter(b -> b.seenNanos() >= windowStart && b.seenNanos() < windowEnd).toList();
            f.put("block_count", inWindow.size());
            f.put("txs_per_block", inWindow.isEmpty() ? null : round1(inWindow.stream().mapToInt(BlockSeen::txs).average().orElse(0)));
            f.put("max_txs_per_block", inWindow.stream().mapToInt(BlockSeen::txs).max().orElse(0));
            f.put("block_gas_mean", inWindow.isEmpty() ? null : Math.round(inWindow.stream().mapToLong(BlockSeen::gasUsed).average().orElse(0)));
            f.put("block_interval_ms", inWindow.size() < 2 ? null
                    : Math.round((inWindow.get(inWindow.size() - 1).seenNanos() - inWindow.get(0).seenNanos()) / 1e6 / (inWindow.size() - 1)));
        } else {
            f.put("block_count", confirmedInWindow); // automine: one block per transaction
        }
        return f;
    }

    static Long percentile(List<Double> sorted, int p) {
        if (sorted.isEmpty()) {
            return null;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return Math.round(sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1))));
    }

    static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    static String describe(Map<String, Integer> errors) {
        StringBuilder b = new StringBuilder();
        errors.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(6)
                .forEach(e -> b.append("\n    ").append(e.getValue()).append(" x ").append(e.getKey()));
        return b.toString();
    }
}
