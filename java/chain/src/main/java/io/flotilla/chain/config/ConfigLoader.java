package io.flotilla.chain.config;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.chain.execution.ChainConfig;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads and checks config.json; the first problem becomes a {@link ConfigException} naming the field. */
public final class ConfigLoader {

    private ConfigLoader() {}

    public static NodeConfig load(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException("config " + file + ": no such file");
        } catch (IOException e) {
            throw new ConfigException("config " + file + ": " + String.valueOf(e.getMessage()).lines().findFirst().orElse("unreadable"));
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException("config " + file + ": not a JSON object");
        }
        List<NodeConfig.Member> members = new ArrayList<>();
        for (JsonNode m : array(root, "members")) {
            members.add(new NodeConfig.Member(number(m, "members[].nodeId"), address(m, "address"), ipv4(text(m, "ip"), "members[].ip"),
                    text(m, "publicKey"), ports(m.path("ports"), "members[].ports")));
        }
        if (members.isEmpty()) {
            throw new ConfigException("config: members is empty");
        }
        JsonNode consensus = object(root, "consensus");
        JsonNode genesis = object(root, "genesis");
        Map<String, BigInteger> alloc = new LinkedHashMap<>();
        genesis.path("alloc").fields().forEachRemaining(e -> alloc.put(e.getKey().toLowerCase(), wei(e.getValue().asText(), "genesis.alloc")));
        List<NodeConfig.SyncPeer> syncPeers = new ArrayList<>();
        for (JsonNode p : root.path("syncPeers")) {
            syncPeers.add(new NodeConfig.SyncPeer(number(p, "syncPeers[].nodeId"), ipv4(text(p, "ip"), "syncPeers[].ip"),
                    port(p.path("catchUpPort").asInt(-1), "syncPeers[].catchUpPort")));
        }
        NodeConfig config = new NodeConfig(
                number(root, "chainId"),
                text(root, "chainName"),
                number(root, "evmChainId"),
                number(root, "nodeId"),
                ipv4(text(root, "bindIp"), "bindIp"),
                ports(root.path("ports"), "ports"),
                members,
                new NodeConfig.Consensus(text(consensus, "engine"), positive(consensus, "consensus.blockTimeMs"),
                        positive(consensus, "consensus.heartbeatMs")),
                new NodeConfig.Genesis(text(genesis, "owner"), alloc, positive(genesis, "genesis.gasLimit"),
                        wei(genesis.path("minGasPriceWei").asText(ChainConfig.DEFAULT_MIN_GAS_PRICE.toString()), "genesis.minGasPriceWei"),
                        optionalSize(genesis, "maxTxBytes", ChainConfig.DEFAULT_MAX_TX_BYTES, 1024, 1 << 20),
                        optionalSize(genesis, "maxBlockBytes", ChainConfig.DEFAULT_MAX_BLOCK_BYTES, 64 * 1024, 3 << 20)),
                Path.of(text(root, "keyFile")),
                Path.of(text(root, "passwordFile")),
                Path.of(text(root, "dataDir")),
                root.path("catchUp").asBoolean(false),
                syncPeers,
                tracing(root.path("tracing")));
        config.self(); // this node must be a member
        return config;
    }

    /** The optional "tracing" object; absent fields take {@link NodeConfig.Tracing#DEFAULT}'s values. */
    private static NodeConfig.Tracing tracing(JsonNode t) {
        NodeConfig.Tracing d = NodeConfig.Tracing.DEFAULT;
        if (t.isMissingNode() || t.isNull()) return d;
        if (!t.isObject()) throw new ConfigException("config: tracing must be an object");
        JsonNode enabled = t.path("enabled");
        if (!enabled.isMissingNode() && !enabled.isBoolean()) throw new ConfigException("config: tracing.enabled must be true or false");
        int concurrency = (int) bounded(t, "concurrency", d.concurrency(), 1, 16);
        long timeoutMs = bounded(t, "timeoutMs", d.timeoutMs(), 100, 600_000);
        int maxMegabytes = (int) bounded(t, "maxMegabytes", d.maxMegabytes(), 1, 1024);
        return new NodeConfig.Tracing(enabled.asBoolean(d.enabled()), concurrency, timeoutMs, maxMegabytes);
    }

    private static long bounded(JsonNode n, String field, long defaultValue, long min, long max) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) return defaultValue;
        if (!v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw new ConfigException("config: tracing." + field + " must be a whole number from " + min + " to " + max + ": " + v);
        }
        return v.asLong();
    }

    private static Iterable<JsonNode> array(JsonNode n, String field) {
        JsonNode a = n.path(field);
        if (!a.isArray()) {
            throw new ConfigException("config: " + field + " must be an array");
        }
        return a;
    }

    private static JsonNode object(JsonNode n, String field) {
        JsonNode o = n.path(field);
        if (!o.isObject()) {
            throw new ConfigException("config: " + field + " must be an object");
        }
        return o;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new ConfigException("config: " + field + " is missing or not a string");
        }
        return v.asText();
    }

    private static long number(JsonNode n, String field) {
        String name = field.contains(".") ? field.substring(field.lastIndexOf('.') + 1) : field;
        JsonNode v = n.path(name);
        if (!v.canConvertToLong() || v.asLong() < 0) {
            throw new ConfigException("config: " + field + " is missing or not a non-negative integer");
        }
        return v.asLong();
    }

    /** genesis.{field}: absent means the default; present, a whole number of bytes in [min, max]. */
    private static int optionalSize(JsonNode genesis, String field, int defaultValue, int min, int max) {
        JsonNode v = genesis.path(field);
        if (v.isMissingNode() || v.isNull()) return defaultValue;
        if (!v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw new ConfigException("config: genesis." + field + " must be a number of bytes from " + min + " to " + max + ": " + v);
        }
        return (int) v.asLong();
    }

    private static long positive(JsonNode n, String field) {
        long v = number(n, field);
        if (v <= 0) {
            throw new ConfigException("config: " + field + " must be positive");
        }
        return v;
    }

    private static String address(JsonNode n, String field) {
        String a = text(n, field);
        if (!a.matches("0x[0-9a-fA-F]{40}")) {
            throw new ConfigException("config: members[]." + field + " is not an address: " + a);
        }
        return a.toLowerCase();
    }

    private static String ipv4(String ip, String field) {
        if (!ip.matches("(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}")) {
            throw new ConfigException("config: " + field + " is not an IPv4 address: " + ip);
        }
        return ip;
    }

    private static NodeConfig.Ports ports(JsonNode p, String field) {
        if (!p.isObject()) {
            throw new ConfigException("config: " + field + " must be an object");
        }
        return new NodeConfig.Ports(port(p.path("consensus").asInt(-1), field + ".consensus"), port(p.path("catchUp").asInt(-1), field + ".catchUp"),
                port(p.path("rpcHttp").asInt(-1), field + ".rpcHttp"), port(p.path("rpcWs").asInt(-1), field + ".rpcWs"),
                port(p.path("metrics").asInt(-1), field + ".metrics"));
    }

    private static int port(int port, String field) {
        if (port < 1 || port > 65535) {
            throw new ConfigException("config: " + field + " is not a port number");
        }
        return port;
    }

    private static BigInteger wei(String value, String field) {
        try {
            BigInteger v = value.startsWith("0x") ? new BigInteger(value.substring(2), 16) : new BigInteger(value);
            if (v.signum() < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new ConfigException("config: " + field + " is not an amount of wei: " + value);
        }
    }
}
