package io.flotilla.chain.node;

import io.flotilla.chain.config.ConfigException;
import io.flotilla.chain.config.NodeConfig;
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
    private WebSocketRpcServer ws;

    private Subnode(ChainStore store, ChainState chain, JsonRpcServer rpc, BftReplica replica) {
        this.store = store;
        this.chain = chain;
        this.rpc = rpc;
        this.replica = replica;
    }

    public static Subnode start(NodeConfig config) {
        BigInteger key = nodeKey(config);
        ChainStore store = ChainStore.open(config.dataDir());
        // What started so far, closed in reverse if a later part cannot start: a failed start leaves no port bound.
        java.util.Deque<AutoCloseable> started = new java.util.ArrayDeque<>();
        started.push(store);
        try {
            ChainState chain = ChainState.open(store, Main.genesis(config));
            Mempool mempool = new Mempool(MempoolConfig.DEFAULT, chain.config().baseFee(), System::currentTimeMillis);
            TxSubmission submission = new TxSubmission(chain, mempool);
            NodeConfig.Tracing t = config.tracing();
            // One Tracing for both endpoints: its concurrency limit holds across HTTP and WebSocket callers.
            io.flotilla.chain.execution.Tracing tracing = new io.flotilla.chain.execution.Tracing(chain,
                    new io.flotilla.chain.execution.TraceConfig(t.enabled(), t.concurrency(), Duration.ofMillis(t.timeoutMs()),
                            Duration.ofMillis(Math.min(5_000, t.timeoutMs())), (long) t.maxMegabytes() << 20));
            JsonRpcServer rpc = new JsonRpcServer(new RpcConfig(config.bindIp(), config.ports().rpcHttp(), 5 << 20, 100, 4),
                    new EthApi(chain, mempool, submission, CLIENT_VERSION, tracing).methods()).start();
            started.push(rpc);
            WebSocketRpcServer ws = new WebSocketRpcServer(WebSocketConfig.defaults(config.bindIp(), config.ports().rpcWs()),
                    new EthApi(chain, mempool, submission, CLIENT_VERSION, tracing), chain).start();
            started.push(ws);
            List<BftReplica.Peer> peers = config.members().stream()
                    .map(m -> new BftReplica.Peer(Address.fromHex(m.address()), new InetSocketAddress(m.ip(), m.ports().consensus())))
                    .toList();
            BftReplica replica = new BftReplica(config.evmChainId(), key, chain, mempool, submission,
                    new InetSocketAddress(config.bindIp(), config.ports().consensus()), peers,
                    Duration.ofMillis(config.consensus().blockTimeMs()), Duration.ofMillis(config.consensus().heartbeatMs()),
                    BftConfig.defaults(), Clock.systemUTC());
            started.push(replica);
            replica.start();
            Subnode node = new Subnode(store, chain, rpc, replica);
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

    private static BigInteger nodeKey(NodeConfig config) {
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

    @Override
    public void close() {
        replica.close();
        ws.close();
        rpc.close();
        store.close();
    }
}
