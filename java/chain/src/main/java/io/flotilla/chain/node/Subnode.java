package io.flotilla.chain.node;

import io.flotilla.subnode.config.ConfigException;
import io.flotilla.subnode.config.SubnodeConfig;
import io.flotilla.chain.consensus.bft.BftConfig;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.TxSubmission;
import io.flotilla.chain.mempool.Mempool;
import io.flotilla.chain.mempool.MempoolConfig;
import io.flotilla.chain.rpc.EthApi;
import io.flotilla.chain.rpc.JsonRpcServer;
import io.flotilla.chain.rpc.RpcConfig;
import io.flotilla.chain.rpc.WebSocketConfig;
import io.flotilla.chain.rpc.WebSocketRpcServer;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.evm.types.Address;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.nio.file.Path;
import io.flotilla.subnode.config.SubnodeConfigJson;
import io.flotilla.chain.rpc.RpcException;
import io.flotilla.chain.rpc.RpcMethod;


/**
 * A running subnode: RocksDB chain, mempool, JSON-RPC on bindIp:rpcHttp, and a BFT replica on bindIp:consensus
 * talking to the other members (a one-member chain decides alone with the same code).
 */
public final class Subnode implements AutoCloseable {

    public static final String CLIENT_VERSION = "flotilla/v0.1.0/java";

    private final ChainStore store;
    private final ChainState chain;
    private final JsonRpcServer rpc;
    private final BftReplica replica;
    private final DurablePool pool;
    private final Mempool mempool;
    private WebSocketRpcServer ws;
    private ConfigWatcher watcher;

    private Subnode(ChainStore store, ChainState chain, JsonRpcServer rpc, BftReplica replica, DurablePool pool, Mempool mempool) {
        this.store = store;
        this.chain = chain;
        this.rpc = rpc;
        this.replica = replica;
        this.pool = pool;
        this.mempool = mempool;
    }

    /** Starts from the config in {@code configFile} and watches it: member changes are applied live ({@link ConfigWatcher}). */
    public static Subnode start(Path configFile) {
        return start(SubnodeConfigJson.load(configFile), configFile);
    }

    /** Starts with {@code config}, which was read from {@code configFile}, and watches that file. */
    public static Subnode start(SubnodeConfig config, Path configFile) {
        Subnode node = start(config);
        try {
            node.watcher = new ConfigWatcher(configFile, config, node::applyMembers, ConfigWatcher.POLL_EVERY);
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
        return node;
    }

    /** Starts with {@code config} without watching a file (member changes then need a restart). */
    public static Subnode start(SubnodeConfig config) {
        return start(config, nodeKey(config));
    }

    /** Starts with {@code config} and the node key {@code key} (the training run's members have no keystore). */
    static Subnode start(SubnodeConfig config, BigInteger key) {
        ChainStore store = ChainStore.open(config.dataDir(), (long) config.state().cacheMegabytes() << 20);
        // What started so far, closed in reverse if a later part cannot start: a failed start leaves no port bound.
        java.util.Deque<AutoCloseable> started = new java.util.ArrayDeque<>();
        started.push(store);
        try {
            ChainState chain = ChainState.open(store, Main.genesis(config),
                    new ChainState.StateOptions(config.state().historyBlocks(), config.state().archive()));
            Mempool mempool = new Mempool(MempoolConfig.DEFAULT, chain.config().baseFee(), System::currentTimeMillis);
            TxSubmission submission = new TxSubmission(chain, mempool);
            // The pool is kept in the store; what a previous run kept is re-validated and pooled before anything else.
            DurablePool pool = new DurablePool(store, chain.decoder(), mempool, submission);
            started.push(pool);
            pool.reload();
            AtomicReference<BftReplica> replicaRef = new AtomicReference<>();
            Map<String, RpcMethod> extra = Map.of("flotilla_health", p -> {
                BftReplica r = replicaRef.get();
                if (r == null) throw new RpcException(RpcException.SERVER_ERROR, "starting");
                Map<String, Object> health = new java.util.LinkedHashMap<>(r.health(mempool.size(), mempool.readyGas(a -> chain.account(a).nonce(), 1) > 0));
                // The image the agent started this process with: the other members' agents order an image rollout by it.
                if (!config.image().id().isEmpty()) {
                    health.put("image", config.image().id());
                }
                return health;
            });
            io.flotilla.subnode.config.Tracing t = config.tracing();
            // One Tracing for both endpoints: its concurrency limit holds across HTTP and WebSocket callers.
            io.flotilla.chain.execution.Tracing tracing = new io.flotilla.chain.execution.Tracing(chain,
                    new io.flotilla.chain.execution.TraceConfig(t.enabled(), t.concurrency(), Duration.ofMillis(t.timeoutMs()),
                            Duration.ofMillis(Math.min(5_000, t.timeoutMs())), (long) t.maxMegabytes() << 20));
            JsonRpcServer rpc = new JsonRpcServer(new RpcConfig(config.bindIp(), config.ports().rpcHttp(), 5 << 20, 100, 4),
                    new EthApi(chain, mempool, submission, CLIENT_VERSION, tracing, extra).methods()).start();
            started.push(rpc);
            WebSocketRpcServer ws = new WebSocketRpcServer(WebSocketConfig.defaults(config.bindIp(), config.ports().rpcWs()),
                    new EthApi(chain, mempool, submission, CLIENT_VERSION, tracing, extra), chain).start();
            started.push(ws);
            BftReplica replica = new BftReplica(config.evmChainId(), key, chain, mempool, submission,
                    new InetSocketAddress(config.bindIp(), config.ports().consensus()), peers(config),
                    Duration.ofMillis(config.consensus().blockTimeMs()), Duration.ofMillis(config.consensus().heartbeatMs()),
                    BftConfig.defaults(), Clock.systemUTC(), config.consensus().engine());
            started.push(replica);
            replica.start();
            replicaRef.set(replica);
            Subnode node = new Subnode(store, chain, rpc, replica, pool, mempool);
            node.ws = ws;
            return node;
        } catch (IOException | RuntimeException e) {
            while (!started.isEmpty()) {
                try {
                    started.pop().close();
                } catch (Exception ignored) {
                    // best effort: report the cause of the failed start, not of the cleanup
                }
            }
            throw new ConfigException("cannot start: " + e.getMessage());
        }
    }

    private static List<BftReplica.Peer> peers(SubnodeConfig config) {
        return config.members().stream()
                .map(m -> new BftReplica.Peer(Address.fromHex(m.address()), new InetSocketAddress(m.ip(), m.ports().consensus())))
                .toList();
    }

    /** Our agent rewrote the config with other members (or endpoints): the replica takes them live. */
    private void applyMembers(SubnodeConfig config) {
        replica.reconfigure(peers(config));
    }

    private static BigInteger nodeKey(SubnodeConfig config) {
        try {
            String password = Files.readString(config.passwordFile()).strip();
            BigInteger key = Keystore.decrypt(Files.readString(config.keyFile()), password);
            String address = "0x" + io.flotilla.evm.crypto.Secp256k1.addressOf(key).toString().replace("0x", "");
            if (!address.equalsIgnoreCase(config.self().address())) {
                throw new ConfigException("keyFile holds the key of " + address + ", not of member " + config.self().address());
            }
            return key;
        } catch (ConfigException e) {
            throw e;
        } catch (Exception e) {
            throw new ConfigException("keyFile " + config.keyFile() + ": " + e.getMessage());
        }
    }

    public long head() {
        return chain.head().number();
    }

    public String rpcUrl() {
        return rpc.url();
    }

    /** The consensus replica (tests and diagnostics). */
    public BftReplica replica() {
        return replica;
    }

    public ChainState chain() {
        return chain;
    }

    public Mempool mempool() {
        return mempool;
    }

    /** The config in force: the starting one, with the member set last applied live. */
    public SubnodeConfig configInForce() {
        return watcher == null ? null : watcher.inForce();
    }

    /** The last line logged about a config rewrite that was ignored (in part or whole); empty when none. */
    public String lastConfigProblem() {
        return watcher == null ? "" : watcher.lastProblem();
    }

    /** Member set changes applied live from the config file. */
    public long configChangesApplied() {
        return watcher == null ? 0 : watcher.applied();
    }

    /**
     * Stops everything in order: no more config changes, consensus and RPC stop taking work, the pool's last
     * changes are written, then the store closes.
     */
    @Override
    public void close() {
        if (watcher != null) watcher.close();
        replica.close();
        ws.close();
        rpc.close();
        pool.close();
        store.close();
    }
}
