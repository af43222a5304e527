package io.flotilla.chain.node;

import io.flotilla.subnode.config.ConfigException;
import io.flotilla.subnode.config.SubnodeConfigJson;
import io.flotilla.subnode.config.SubnodeConfig;
import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.evm.types.Address;
import java.util.LinkedHashMap;
import java.util.Map;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * The subnode program: {@code flotilla-node [config.json]} (default /config/config.json), or
 * {@code flotilla-node --self-check DIR} to prove the runtime (JVM, RocksDB native library) works in its image, or
 * {@code flotilla-node --train DIR [ROUNDS [TOKEN_ARTIFACT]]} to run the training chain of the image's ahead-of-time cache.
 * A bad config stops it with one line and exit code 2.
 */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        if (args.length == 2 && args[0].equals("--self-check")) {
            System.exit(selfCheck(Path.of(args[1])));
        }
        if (args.length >= 1 && args[0].equals("--train")) {
            System.exit(train(args));
        }
        Path configFile = Path.of(args.length > 0 ? args[0] : "/config/config.json");
        SubnodeConfig config;
        try {
            config = SubnodeConfigJson.load(configFile);
        } catch (ConfigException e) {
            System.err.println("flotilla-node: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (!io.flotilla.chain.consensus.KnownEngines.isKnown(config.consensus().engine())) {
            System.err.println("flotilla-node: config: unknown consensus engine '" + config.consensus().engine() + "' (known: "
                    + String.join(", ", io.flotilla.chain.consensus.KnownEngines.NAMES) + ")");
            System.exit(2);
        }
        // The JDK's HTTP server under JSON-RPC: a client gets 30 s to send a request and 30 s to read the answer, and
        // at most 1,024 connections are open at once (slow clients hold a virtual thread each, and a socket).
        System.getProperties().putIfAbsent("sun.net.httpserver.maxReqTime", "30");
        System.getProperties().putIfAbsent("sun.net.httpserver.maxRspTime", "30");
        System.getProperties().putIfAbsent("jdk.httpserver.maxConnections", "1024");
        Subnode node;
        try {
            node = Subnode.start(config, configFile);
        } catch (ConfigException e) {
            System.err.println("flotilla-node: " + e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(node::close, "shutdown"));
        System.out.println("flotilla-node: chain " + config.chainName() + " (" + config.chainId() + ", EVM chain id " + config.evmChainId()
                + "), node " + config.nodeId() + " of " + config.members().size() + ", head " + node.head() + ", JSON-RPC " + node.rpcUrl());
    }

    /** Genesis from the config: the EVM chain id, gas limit, fixed minimum gas price and prefunded accounts. */
    static Genesis genesis(SubnodeConfig config) {
        Map<Address, Genesis.GenesisAccount> alloc = new LinkedHashMap<>();
        config.genesis().alloc().forEach((address, wei) -> alloc.put(Address.fromHex(address), Genesis.GenesisAccount.funded(wei)));
        io.flotilla.subnode.config.Genesis g = config.genesis();
        ChainConfig chain;
        try {
            chain = new ChainConfig(config.evmChainId(), g.gasLimit(), g.minGasPriceWei(), g.maxTxBytes(), g.maxBlockBytes(),
                    ChainConfig.DEFAULT_EXECUTION_BUDGET);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("config: genesis: " + e.getMessage());
        }
        return new Genesis(chain, 0, Address.of(new byte[20]), new byte[0], alloc);
    }

    /**
     * {@code --train DIR [ROUNDS [TOKEN_ARTIFACT]]}: the training run of the image's ahead-of-time cache ({@link
     * Training}; TOKEN_ARTIFACT: a Hardhat artifact of the ERC-20 it deploys); 0 when every member committed every
     * transaction and they agree, 1 otherwise, 2 for bad arguments.
     */
    static int train(String[] args) {
        if (args.length < 2 || args.length > 4) {
            System.err.println("flotilla-node: usage: --train DIR [ROUNDS [TOKEN_ARTIFACT]]");
            return 2;
        }
        int rounds = 300;
        if (args.length >= 3) {
            try {
                rounds = Integer.parseInt(args[2]);
            } catch (NumberFormatException e) {
                rounds = 0;
            }
            if (rounds < 1) {
                System.err.println("flotilla-node: --train: ROUNDS must be a positive number, got '" + args[2] + "'");
                return 2;
            }
        }
        byte[] token = null;
        if (args.length == 4) {
            try {
                String hex = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Path.of(args[3]).toFile()).path("bytecode").asText("");
                token = hex.isEmpty() ? null : io.flotilla.evm.types.Hex.decode(hex);
            } catch (java.io.IOException | IllegalArgumentException e) {
                token = null;
            }
            if (token == null || token.length == 0) {
                System.err.println("flotilla-node: --train: " + args[3] + " is not a contract artifact with a \"bytecode\" field");
                return 2;
            }
        }
        try {
            Training.Result r = Training.run(Path.of(args[1]), rounds, token, System.out);
            System.out.println("flotilla-node training: " + r.transactions() + " transactions committed by every member up to block " + r.head()
                    + " in " + r.took().toMillis() + " ms");
            return 0;
        } catch (Exception e) {
            System.err.println("flotilla-node training: failed: " + e.getMessage());
            return 1;
        }
    }

    /** Opens a RocksDB database in {@code dir}, writes and reads a key: 0 when the runtime works. */
    static int selfCheck(Path dir) {
        RocksDB.loadLibrary();
        try (Options options = new Options().setCreateIfMissing(true);
                RocksDB db = RocksDB.open(options, Files.createDirectories(dir.resolve("self-check")).toString())) {
            byte[] key = "flotilla".getBytes(StandardCharsets.UTF_8);
            db.put(key, key);
            boolean ok = Arrays.equals(key, db.get(key));
            System.out.println("flotilla-node self-check: " + (ok ? "ok" : "FAILED") + " (java " + Runtime.version() + ", rocksdb)");
            return ok ? 0 : 1;
        } catch (RocksDBException | java.io.IOException e) {
            System.err.println("flotilla-node self-check: " + e.getMessage());
            return 1;
        }
    }
}
