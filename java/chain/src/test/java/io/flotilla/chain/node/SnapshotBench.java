package io.flotilla.chain.node;

import io.flotilla.chain.consensus.BlockHash;
import io.flotilla.chain.consensus.CommitCertificate;
import io.flotilla.chain.consensus.ConsensusMessage;
import io.flotilla.chain.consensus.MemberSet;
import io.flotilla.chain.consensus.MessageCodec;
import io.flotilla.chain.consensus.NodeKey;
import io.flotilla.chain.consensus.Signature;
import io.flotilla.chain.consensus.bft.BftConfig;
import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.ExecutedBlock;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.execution.OverlayWorldState;
import io.flotilla.chain.execution.StateTries;
import io.flotilla.chain.execution.TxSubmission;
import io.flotilla.chain.mempool.Mempool;
import io.flotilla.chain.mempool.MempoolConfig;
import io.flotilla.chain.storage.Block;
import io.flotilla.chain.storage.BlockHeader;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.storage.StateDiff;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code ./flotilla bench snapshot}: a member joining a chain of N accounts and an ERC-20-like contract with N holders
 * (N storage slots), by snapshot sync over real sockets on loopback. Two serving members hold the chain: the state is
 * written straight into their stores as block 1 (certified like any block, not made of N transactions), then 63 empty
 * certified blocks follow, so both keep the snapshot of block 64. The chain's other two members are not running (the
 * two cannot decide: the chain stays at 64 while it is measured). The joiner starts on an empty store; measured:
 * seconds from its start until block 64 is its head with the state verified and installed, and the bytes it received.
 * One JSON line on stdout.
 */
public final class SnapshotBench {
    private static final long CHAIN_ID = 31_337_016L;
    private static final Address OWNER = Address.fromHex("0x00000000000000000000000000000000000000a1");
    private static final Address TOKEN = Address.fromHex("0x7000000000000000000000000000000000000016");
    private static final byte[] TOKEN_CODE = Hex.decode("0x60003560e01c63a9059cbb14601557005b600160005500");

    private SnapshotBench() {
    }

    private static void log(String m) {
        System.err.println("bench snapshot: " + m);
    }

    public static void main(String[] args) throws Exception {
        int n = 1_000_000;
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "flotilla-bench-snapshot");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--accounts" -> n = Integer.parseInt(args[++i].replace("_", ""));
                case "--dir" -> dir = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (usage: SnapshotBench [--accounts N] [--dir D])");
            }
        }
        delete(dir);
        try {
            System.out.println(run(n, dir));
            System.out.flush();
        } finally {
            delete(dir);
        }
        System.exit(0);
    }

    private static String run(int n, Path dir) throws Exception {
        List<BigInteger> secrets = new ArrayList<>();
        List<NodeKey> keys = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            secrets.add(BigInteger.valueOf(104_729L * (i + 11)));
            keys.add(new NodeKey(secrets.get(i)));
        }
        MemberSet set = MemberSet.sorted(keys.stream().map(NodeKey::address).toList());
        Genesis genesis = Genesis.of(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, BigInteger.ZERO), OWNER, BigInteger.TEN.pow(24));
        List<InetSocketAddress> endpoints = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String ip = "127.0.0." + (160 + i);
            endpoints.add(new InetSocketAddress(ip, freePort(ip)));
        }
        List<BftReplica.Peer> peers = new ArrayList<>();
        for (int i = 0; i < 4; i++) peers.add(new BftReplica.Peer(keys.get(i).address(), endpoints.get(i)));
        BftReplica.SnapshotOptions options = new BftReplica.SnapshotOptions(64, 2, 32, BftReplica.SnapshotOptions.DEFAULTS.peerBytesPerSecond(),
                BftReplica.SnapshotOptions.DEFAULTS.totalBytesPerSecond());

        long t0 = System.nanoTime();
        List<AutoCloseable> open = new ArrayList<>();
        try {
            ChainStore storeA = ChainStore.open(dir.resolve("server-a"));
            open.add(storeA);
            ChainState a = ChainState.open(storeA, genesis);
            ChainStore storeB = ChainStore.open(dir.resolve("server-b"));
            open.add(storeB);
            ChainState b = ChainState.open(storeB, genesis);
            BftReplica ra = replica(secrets.get(0), a, endpoints.get(0), peers, options);
            open.addFirst(ra);
            BftReplica rb = replica(secrets.get(1), b, endpoints.get(1), peers, options);
            open.addFirst(rb);

            // Block 1: the whole state at once, written into both stores (the tries computed once and shared: persistent).
            StateDiff diff = bigState(n);
            ExecutedBlock first = stateBlock(a, diff, set, keys);
            a.commit(first);
            b.commit(new ExecutedBlock(first.block(), List.of(), diff, first.tries()));
            diff = null;
            for (long h = 2; h <= 64; h++) {
                ExecutedBlock e = certify(a.beginBlock(1_700_000_000L + h, keys.get(0).address(), set.encode()).finish(), keys);
                a.commit(e);
                b.apply(e.block());
            }
            // Serving members wrote this state over months, compacting as they went; here it was written in one block.
            storeA.compact();
            storeB.compact();
            ra.start();
            rb.start();
            log(String.format(Locale.ROOT, "%,d accounts and %,d holders in both servers' stores at block 64 (compacted) in %.1f s", n + 1, n, (System.nanoTime() - t0) / 1e9));

            ChainStore storeJ = ChainStore.open(dir.resolve("joiner"));
            open.add(storeJ);
            ChainState j = ChainState.open(storeJ, genesis);
            BftReplica rj = replica(secrets.get(2), j, endpoints.get(2), peers, options);
            open.addFirst(rj);
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long start = System.nanoTime();
            rj.start();
            long deadline = System.currentTimeMillis() + 15 * 60_000;
            long lastLog = 0;
            while (!(rj.snapshotInstalledAt() == 64 && j.head().number() == 64)) {
                if (System.currentTimeMillis() > deadline) throw new IllegalStateException("the joiner did not install the snapshot in 15 minutes");
                if (System.currentTimeMillis() - lastLog > 5_000) {
                    lastLog = System.currentTimeMillis();
                    long[] p = rj.snapshotProgress();
                    log(String.format(Locale.ROOT, "%.0f s: %,d nodes, %,d bytes, %,d nodes known missing", (System.nanoTime() - start) / 1e9, p[0], p[1], p[2]));
                }
                Thread.sleep(20);
            }
            double joinS = (System.nanoTime() - start) / 1e9;
            double cpuS = (os.getProcessCpuTime() - cpu0) / 1e9; // the joiner and both servers: one process
            for (long until = System.currentTimeMillis() + 10_000; rj.height() != 65 && System.currentTimeMillis() < until; ) {
                Thread.sleep(10); // consensus started at 65 before anything is closed
            }
            long[] p = rj.snapshotProgress();
            for (var e : java.util.Map.of("server-a", ra, "server-b", rb, "joiner", rj).entrySet()) {
                BftReplica r = e.getValue();
                log(String.format(Locale.ROOT, "%s: snapshot requests dropped %d, intake drops %d, messages dropped by rate %d, links replaced %d, slow peers dropped %d",
                        e.getKey(), r.snapshotServing()[2], r.consensusRetainedPeak()[2], r.network().droppedByRateLimit(), r.network().linksReplaced(),
                        r.network().slowPeersDropped()));
            }
            if (!java.util.Arrays.equals(j.head().stateRoot(), a.head().stateRoot())) throw new IllegalStateException("state roots differ");
            if (!java.util.Arrays.equals(j.account(TOKEN).code(), TOKEN_CODE) || j.read(w -> w.storageOf(TOKEN).size()) != n) {
                throw new IllegalStateException("the token's code or storage differs");
            }
            double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            return String.format(Locale.ROOT, "{\"bench\":\"snapshot\",\"accounts\":%d,\"holders\":%d,\"servers\":2,\"join_s\":%.1f,"
                    + "\"install_s\":%.1f,\"cpu_s\":%.1f,\"bytes\":%d,\"nodes\":%d,\"load\":%.1f}", n + 1, n, joinS, p[3] / 1e3, cpuS, p[1], p[0], load);
        } finally {
            for (AutoCloseable c : open) c.close();
        }
    }

    private static BftReplica replica(BigInteger key, ChainState chain, InetSocketAddress at, List<BftReplica.Peer> peers,
            BftReplica.SnapshotOptions options) throws IOException {
        Mempool mempool = new Mempool(MempoolConfig.DEFAULT);
        return new BftReplica(CHAIN_ID, key, chain, mempool, new TxSubmission(chain, mempool), at, peers,
                Duration.ofMillis(500), Duration.ofSeconds(60), BftConfig.defaults(), Clock.systemUTC(), chain::saveRecord, options);
    }

    /** N accounts and a contract with N slots, as one block's state changes. */
    private static StateDiff bigState(int n) {
        Map<Address, Account> accounts = new HashMap<>(n * 2);
        Map<Word, Word> slots = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            byte[] h = Keccak.hash(BigInteger.valueOf(i).toByteArray());
            accounts.put(Address.of(java.util.Arrays.copyOfRange(h, 12, 32)), Account.of(0, Word.of(1 + i % 1000), new byte[0]));
            slots.put(Word.fromBytes(Keccak.hash(h)), Word.of(1_000 + i % 1000));
        }
        accounts.put(TOKEN, Account.of(1, Word.ZERO, TOKEN_CODE));
        return new StateDiff(accounts, Set.of(), Map.of(TOKEN, slots));
    }

    /** Block 1 carrying {@code diff}: an empty block's header with the state root of the state after it, certified. */
    private static ExecutedBlock stateBlock(ChainState chain, StateDiff diff, MemberSet set, List<NodeKey> keys) {
        ExecutedBlock empty = chain.beginBlock(1_700_000_001L, keys.get(0).address(), set.encode()).finish();
        StateTries.Update update = chain.read(latest -> {
            OverlayWorldState after = new OverlayWorldState(latest);
            OverlayWorldState.applyTo(after, diff);
            return chain.stateTries().update(after, diff);
        });
        BlockHeader h = empty.block().header();
        BlockHeader withState = new BlockHeader(h.parentHash(), h.number(), h.timestamp(), update.root(), h.transactionsRoot(),
                h.receiptsRoot(), h.logsBloom(), h.gasLimit(), h.gasUsed(), h.baseFeePerGas(), h.proposer(), h.extraData(), new byte[0]);
        return certify(new ExecutedBlock(new Block(withState, List.of()), List.of(), diff, update), keys);
    }

    private static ExecutedBlock certify(ExecutedBlock e, List<NodeKey> keys) {
        long h = e.block().number();
        BlockHash hash = new BlockHash(e.block().hash());
        byte[] digest = MessageCodec.signingDigest(CHAIN_ID, new ConsensusMessage.Precommit(h, 0, Optional.of(hash)));
        List<Signature> sigs = keys.subList(0, 3).stream().map(k -> k.sign(digest)).toList();
        return e.withCommitCertificate(new CommitCertificate(h, 0, hash, sigs).encode());
    }

    private static int freePort(String ip) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(ip))) {
            return s.getLocalPort();
        }
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
