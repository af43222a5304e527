package io.flotilla.chain.rpc;

import io.flotilla.chain.execution.DevChain;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.mempool.MempoolConfig;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.evm.types.Address;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;

/**
 * A complete single-producer node: RocksDB chain + mempool + auto-producing {@link DevChain} + JSON-RPC.
 * <pre>
 *   try (DevNode node = DevNode.start(dataDir, genesis, proposer, RpcConfig.loopback(8545))) {
 *       String url = node.url();   // point wallets / web3j here
 *   }
 * </pre>
 */
public final class DevNode implements AutoCloseable {
    public static final String CLIENT_VERSION = "flotilla/v0.1.0/java";

    private final DevChain chain;
    private final JsonRpcServer rpc;

    private DevNode(DevChain chain, JsonRpcServer rpc) {
        this.chain = chain;
        this.rpc = rpc;
    }

    /** Opens or resumes the chain in {@code dataDir} and serves JSON-RPC; blocks are produced as transactions arrive. */
    public static DevNode start(Path dataDir, Genesis genesis, Address proposer, RpcConfig rpcConfig) {
        DevChain chain = new DevChain(ChainStore.open(dataDir), genesis, proposer, MempoolConfig.DEFAULT, Clock.systemUTC(), true);
        try {
            EthApi api = new EthApi(chain.chain(), chain.mempool(), chain.submission(), CLIENT_VERSION);
            return new DevNode(chain, new JsonRpcServer(rpcConfig, api.methods()).start());
        } catch (IOException e) {
            chain.close();
            throw new UncheckedIOException("cannot bind JSON-RPC on " + rpcConfig.bindAddress() + ":" + rpcConfig.port(), e);
        }
    }

    public DevChain devChain() {
        return chain;
    }

    public JsonRpcServer rpc() {
        return rpc;
    }

    public String url() {
        return rpc.url();
    }

    @Override
    public void close() {
        rpc.close();
        chain.close();
    }
}
