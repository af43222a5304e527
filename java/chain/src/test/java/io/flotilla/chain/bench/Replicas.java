package io.flotilla.chain.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Wallet;
import org.web3j.utils.Numeric;

/**
 * A chain of real subnode processes on this machine: for each member a V3 keystore, a config.json in the format
 * the agent writes (docs/agent.md), its own data directory and its own loopback address, and one
 * {@code java ... io.flotilla.chain.node.Main config.json} process.
 */
final class Replicas implements AutoCloseable {

    static final long MANAGER_CHAIN_ID = 7_001;
    static final long EVM_CHAIN_ID = 0x464C0000L + MANAGER_CHAIN_ID;

    record Member(int index, String ip, Credentials key, int consensus, int catchUp, int rpcHttp, int rpcWs, int metrics) {
        String rpcUrl() {
            return "http://" + ip + ":" + rpcHttp + "/";
        }
    }

    private final Path dir;
    private final List<Member> members = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    Replicas(Path dir, int count, String ipBase) throws IOException {
        this.dir = dir;
        String[] octets = ipBase.split("\\.");
        int last = Integer.parseInt(octets[3]);
        for (int i = 0; i < count; i++) {
            String ip = octets[0] + "." + octets[1] + "." + octets[2] + "." + (last + i);
            BigInteger secret = new BigInteger(1, Hash.sha3(("flotilla-bench-node-" + i).getBytes(StandardCharsets.UTF_8)));
            int[] ports = freePorts(ip, 5);
            members.add(new Member(i, ip, Credentials.create(ECKeyPair.create(secret)), ports[0], ports[1], ports[2], ports[3], ports[4]));
        }
    }

    List<Member> members() {
        return members;
    }

    List<String> rpcUrls() {
        return members.stream().map(Member::rpcUrl).toList();
    }

    List<Process> processes() {
        return processes;
    }

    /** Writes every member's keystore, password and config.json (genesis allocation {@code alloc}: address to wei). */
    void writeConfigs(java.util.Map<String, BigInteger> alloc, long blockTimeMs, long heartbeatMs) throws Exception {
        writeConfigs(alloc, blockTimeMs, heartbeatMs, "bft");
    }

    /** The same, the members running the consensus engine named {@code engine}. */
    void writeConfigs(java.util.Map<String, BigInteger> alloc, long blockTimeMs, long heartbeatMs, String engine) throws Exception {
        for (Member m : members) {
            Path home = Files.createDirectories(dir.resolve("replica-" + m.index()));
            Files.createDirectories(home.resolve("data"));
            Files.writeString(home.resolve("node-key.password"), "bench-" + m.index());
            Files.writeString(home.resolve("node-key.json"),
                    Rpc.JSON.writeValueAsString(Wallet.createLight("bench-" + m.index(), m.key().getEcKeyPair())));
            ObjectNode c = Rpc.JSON.createObjectNode();
            c.put("bindIp", m.ip());
            c.put("chainId", MANAGER_CHAIN_ID);
            c.put("chainName", "bench-chain");
            ObjectNode consensus = c.putObject("consensus");
            consensus.put("blockTimeMs", blockTimeMs);
            consensus.put("engine", engine);
            consensus.put("heartbeatMs", heartbeatMs);
            c.put("dataDir", home.resolve("data").toString());
            c.put("evmChainId", EVM_CHAIN_ID);
            ObjectNode genesis = c.putObject("genesis");
            ObjectNode a = genesis.putObject("alloc");
            alloc.forEach((address, wei) -> a.put(address.toLowerCase(), wei.toString()));
            genesis.put("gasLimit", 30_000_000);
            genesis.put("minGasPriceWei", "0");
            genesis.put("owner", Workload.OWNER.getAddress());
            c.put("keyFile", home.resolve("node-key.json").toString());
            ArrayNode list = c.putArray("members");
            for (Member o : members) {
                ObjectNode e = list.addObject();
                e.put("address", o.key().getAddress());
                e.put("ip", o.ip());
                e.put("nodeId", o.index() + 1);
                ports(e.putObject("ports"), o);
                e.put("publicKey", Numeric.toHexStringWithPrefixZeroPadded(o.key().getEcKeyPair().getPublicKey(), 128));
            }
            c.put("nodeId", m.index() + 1);
            c.put("passwordFile", home.resolve("node-key.password").toString());
            ports(c.putObject("ports"), m);
            c.put("slot", 0);
            Files.writeString(home.resolve("config.json"), Rpc.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c));
        }
    }

    private static void ports(ObjectNode p, Member m) {
        p.put("catchUp", m.catchUp());
        p.put("consensus", m.consensus());
        p.put("metrics", m.metrics());
        p.put("rpcHttp", m.rpcHttp());
        p.put("rpcWs", m.rpcWs());
    }

    /** Starts one process per member: {@code java FLAGS -cp CLASSPATH io.flotilla.chain.node.Main config.json}. */
    void start(String java, List<String> jvmFlags, String classpath, List<String> extraFlagsPerReplica) throws IOException {
        for (Member m : members) {
            Path home = dir.resolve("replica-" + m.index());
            Files.createDirectories(home.resolve("tmp"));
            List<String> cmd = new ArrayList<>();
            cmd.add(java);
            cmd.addAll(jvmFlags);
            for (String f : extraFlagsPerReplica) {
                cmd.add(f.replace("{i}", Integer.toString(m.index())).replace("{home}", home.toString()));
            }
            cmd.add("-Djava.io.tmpdir=" + home.resolve("tmp"));
            cmd.add("-cp");
            cmd.add(classpath);
            cmd.add("io.flotilla.chain.node.Main");
            cmd.add(home.resolve("config.json").toString());
            Process p = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true)
                    .redirectOutput(home.resolve("node.log").toFile()).start();
            processes.add(p);
        }
    }

    /** Waits until every member answers eth_blockNumber. */
    void awaitReady(long timeoutMillis) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        for (Member m : members) {
            Rpc rpc = new Rpc(m.rpcUrl());
            while (true) {
                try {
                    rpc.call("eth_blockNumber");
                    break;
                } catch (IOException e) {
                    Process p = processes.get(m.index());
                    if (!p.isAlive()) {
                        throw new IOException("replica " + m.index() + " exited with " + p.exitValue() + ": " + tail(m.index()));
                    }
                    if (System.currentTimeMillis() > deadline) {
                        throw new IOException("replica " + m.index() + " did not answer on " + m.rpcUrl() + ": " + tail(m.index()));
                    }
                    Thread.sleep(200);
                }
            }
            rpc.close();
        }
    }

    String tail(int index) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("replica-" + index).resolve("node.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** CPU time (utime + stime) of a process in clock ticks, from /proc/PID/stat. */
    static long cpuTicks(long pid) throws IOException {
        return ticksOf(Files.readString(Path.of("/proc/" + pid + "/stat")));
    }

    /** utime + stime of a /proc stat line (a process's or a thread's). */
    private static long ticksOf(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // After "pid (comm) ": field 3 (state) is f[0], so utime (14) is f[11] and stime (15) is f[12].
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /**
     * CPU time in clock ticks of a JVM's JIT compiler threads ("C1 CompilerThre…", "C2 CompilerThre…"), from
     * /proc/PID/task/TID/stat: the warm-up share of a member's CPU, which a long-running member no longer pays.
     */
    static long jitTicks(long pid) throws IOException {
        long ticks = 0;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (!Files.readString(task.resolve("comm")).contains("CompilerThre")) continue;
                    ticks += ticksOf(Files.readString(task.resolve("stat")));
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return ticks;
    }

    /** Resident set size in KiB, from /proc/PID/status (VmRSS). */
    static long rssKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }

    private static int[] freePorts(String ip, int count) throws IOException {
        InetAddress address = InetAddress.getByName(ip);
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket(0, 1, address);
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }

    /** SIGTERM (the node closes RocksDB in its shutdown hook), then SIGKILL after 15 s. */
    @Override
    public void close() {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
