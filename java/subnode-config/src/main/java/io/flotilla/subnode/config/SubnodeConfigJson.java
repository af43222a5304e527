package io.flotilla.subnode.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * config.json to and from {@link SubnodeConfig}. The written form is canonical (keys sorted, two-space indent, a
 * final newline), so equal configs are equal bytes and a hash of the file changes exactly when the content does.
 * Reading checks every value and fails on the first problem with a {@link ConfigException} naming its JSON path;
 * fields the schema does not know are ignored, so an agent one version ahead of the image can add a field.
 */
public final class SubnodeConfigJson {

    /** The largest config file read: a full member set is a few KiB. */
    public static final long MAX_BYTES = 1 << 20;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private SubnodeConfigJson() {}

    /** The canonical JSON of {@code config}. */
    public static String write(SubnodeConfig config) {
        return text(tree(config));
    }

    /**
     * The canonical JSON of the fields only a new process takes ({@code config} without {@link
     * SubnodeConfig#LIVE_FIELDS}): the agent labels a container with its hash and recreates it when that changes.
     */
    public static String writeProcessView(SubnodeConfig config) {
        ObjectNode root = tree(config);
        SubnodeConfig.LIVE_FIELDS.forEach(root::remove);
        return text(root);
    }

    /** Reads and checks a config file. */
    public static SubnodeConfig load(Path file) {
        String json;
        try {
            if (Files.size(file) > MAX_BYTES) throw new ConfigException("config " + file + ": larger than " + MAX_BYTES + " bytes");
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config " + file + ": no such file");
        } catch (IOException e) {
            throw new ConfigException("config " + file + ": " + firstLine(e.getMessage()));
        }
        try {
            return read(json);
        } catch (ConfigException e) {
            if (!e.field().isEmpty()) throw e;
            throw new ConfigException("config " + file + ": " + e.getMessage().substring("config: ".length()));
        }
    }

    /** Reads and checks config JSON. */
    public static SubnodeConfig read(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ConfigException("config: not JSON: " + firstLine(e.getOriginalMessage()));
        }
        if (root == null || !root.isObject()) throw new ConfigException("config: not a JSON object");
        List<Member> members = new ArrayList<>();
        JsonNode list = root.path("members");
        if (!list.isArray()) throw new ConfigException("members", "must be an array");
        for (int i = 0; i < list.size(); i++) {
            JsonNode m = list.get(i);
            members.add(nested("members[" + i + "]", m, n -> new Member(number(n, "nodeId"), text(n, "address"), text(n, "ip"),
                    nested("ports", n.path("ports"), SubnodeConfigJson::ports))));
        }
        return build(() -> new SubnodeConfig(
                number(root, "chainId"),
                text(root, "chainName"),
                number(root, "evmChainId"),
                number(root, "nodeId"),
                (int) Math.min(Integer.MAX_VALUE, number(root, "slot")),
                text(root, "bindIp"),
                nested("ports", root.path("ports"), SubnodeConfigJson::ports),
                members,
                nested("consensus", root.path("consensus"), c -> new Consensus(text(c, "engine"), number(c, "blockTimeMs"),
                        number(c, "heartbeatMs"))),
                nested("genesis", root.path("genesis"), SubnodeConfigJson::genesis),
                Path.of(text(root, "keyFile")),
                Path.of(text(root, "passwordFile")),
                Path.of(text(root, "dataDir")),
                root.has("image") ? nested("image", root.path("image"), i -> new Image(text(i, "version"), i.path("id").asText(""))) : null,
                root.has("tracing") ? nested("tracing", root.path("tracing"), SubnodeConfigJson::tracing) : Tracing.DEFAULT,
                root.has("state") ? nested("state", root.path("state"), SubnodeConfigJson::state) : StateStore.DEFAULT));
    }

    private static ObjectNode tree(SubnodeConfig c) {
        ObjectNode root = JSON.createObjectNode();
        root.put("chainId", c.chainId());
        root.put("chainName", c.chainName());
        root.put("evmChainId", c.evmChainId());
        root.put("nodeId", c.nodeId());
        root.put("slot", c.slot());
        root.put("bindIp", c.bindIp());
        root.set("ports", ports(c.ports()));
        ArrayNode members = root.putArray("members");
        for (Member m : c.members()) {
            ObjectNode n = members.addObject();
            n.put("nodeId", m.nodeId());
            n.put("address", m.address());
            n.put("ip", m.ip());
            n.set("ports", ports(m.ports()));
        }
        ObjectNode consensus = root.putObject("consensus");
        consensus.put("engine", c.consensus().engine());
        consensus.put("blockTimeMs", c.consensus().blockTimeMs());
        consensus.put("heartbeatMs", c.consensus().heartbeatMs());
        ObjectNode genesis = root.putObject("genesis");
        Genesis g = c.genesis();
        genesis.put("owner", g.owner());
        ObjectNode alloc = genesis.putObject("alloc");
        g.alloc().forEach((address, wei) -> alloc.put(address, wei.toString()));
        genesis.put("gasLimit", g.gasLimit());
        genesis.put("minGasPriceWei", g.minGasPriceWei().toString());
        genesis.put("maxTxBytes", g.maxTxBytes());
        genesis.put("maxBlockBytes", g.maxBlockBytes());
        root.put("keyFile", c.keyFile().toString());
        root.put("passwordFile", c.passwordFile().toString());
        root.put("dataDir", c.dataDir().toString());
        root.putObject("image").put("version", c.image().version()).put("id", c.image().id());
        ObjectNode tracing = root.putObject("tracing");
        tracing.put("enabled", c.tracing().enabled());
        tracing.put("concurrency", c.tracing().concurrency());
        tracing.put("timeoutMs", c.tracing().timeoutMs());
        tracing.put("maxMegabytes", c.tracing().maxMegabytes());
        if (!c.state().equals(StateStore.DEFAULT)) { // absent = the defaults (configs written before it existed stay canonical)
            root.putObject("state").put("cacheMegabytes", c.state().cacheMegabytes())
                    .put("historyBlocks", c.state().historyBlocks()).put("archive", c.state().archive());
        }
        return root;
    }

    private static ObjectNode ports(Ports p) {
        ObjectNode n = JSON.createObjectNode();
        n.put("consensus", p.consensus());
        n.put("catchUp", p.catchUp());
        n.put("rpcHttp", p.rpcHttp());
        n.put("rpcWs", p.rpcWs());
        n.put("metrics", p.metrics());
        return n;
    }

    private static String text(ObjectNode root) {
        try {
            // Sorted keys: through a map, which ORDER_MAP_ENTRIES_BY_KEYS orders at every level.
            return JSON.writeValueAsString(JSON.treeToValue(root, Object.class)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a subnode config", e);
        }
    }

    private static Ports ports(JsonNode p) {
        return new Ports(port(p, "consensus"), port(p, "catchUp"), port(p, "rpcHttp"), port(p, "rpcWs"), port(p, "metrics"));
    }

    private static Genesis genesis(JsonNode g) {
        JsonNode allocNode = g.path("alloc");
        if (!allocNode.isObject()) throw new ConfigException("alloc", "must be an object");
        Map<String, BigInteger> alloc = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = allocNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            alloc.put(e.getKey(), wei(e.getValue(), "alloc." + e.getKey()));
        }
        return new Genesis(text(g, "owner"), alloc, number(g, "gasLimit"),
                g.has("minGasPriceWei") ? wei(g.path("minGasPriceWei"), "minGasPriceWei") : Genesis.DEFAULT_MIN_GAS_PRICE_WEI,
                g.has("maxTxBytes") ? (int) Math.min(Integer.MAX_VALUE, number(g, "maxTxBytes")) : Genesis.DEFAULT_MAX_TX_BYTES,
                g.has("maxBlockBytes") ? (int) Math.min(Integer.MAX_VALUE, number(g, "maxBlockBytes")) : Genesis.DEFAULT_MAX_BLOCK_BYTES);
    }

    private static StateStore state(JsonNode t) {
        StateStore d = StateStore.DEFAULT;
        JsonNode archive = t.path("archive");
        if (!archive.isMissingNode() && !archive.isBoolean()) throw new ConfigException("archive", "must be true or false: " + archive);
        return new StateStore(t.has("cacheMegabytes") ? (int) Math.min(Integer.MAX_VALUE, number(t, "cacheMegabytes")) : d.cacheMegabytes(),
                t.has("historyBlocks") ? (int) Math.min(Integer.MAX_VALUE, number(t, "historyBlocks")) : d.historyBlocks(),
                archive.asBoolean(d.archive()));
    }

    private static Tracing tracing(JsonNode t) {
        Tracing d = Tracing.DEFAULT;
        JsonNode enabled = t.path("enabled");
        if (!enabled.isMissingNode() && !enabled.isBoolean()) throw new ConfigException("enabled", "must be true or false: " + enabled);
        return new Tracing(enabled.asBoolean(d.enabled()),
                t.has("concurrency") ? (int) Math.min(Integer.MAX_VALUE, number(t, "concurrency")) : d.concurrency(),
                t.has("timeoutMs") ? number(t, "timeoutMs") : d.timeoutMs(),
                t.has("maxMegabytes") ? (int) Math.min(Integer.MAX_VALUE, number(t, "maxMegabytes")) : d.maxMegabytes());
    }

    /** Builds a nested record from an object; its problems are named within {@code field}. */
    private static <T> T nested(String field, JsonNode n, Function<JsonNode, T> builder) {
        if (!n.isObject()) throw new ConfigException(field, "must be an object");
        try {
            return builder.apply(n);
        } catch (ConfigException e) {
            throw e.within(field);
        }
    }

    private static <T> T build(java.util.function.Supplier<T> builder) {
        return builder.get();
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (!v.isTextual() || v.asText().isBlank()) throw new ConfigException(field, "is missing or not a string");
        return v.asText();
    }

    private static long number(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) throw new ConfigException(field, "is missing");
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw new ConfigException(field, "is not a non-negative integer: " + v);
        }
        return v.asLong();
    }

    private static int port(JsonNode n, String field) {
        long v = number(n, field);
        if (v > 65535) throw new ConfigException(field, "is not a port number (1-65535): " + v);
        return (int) v;
    }

    private static BigInteger wei(JsonNode n, String field) {
        String value = n.asText();
        try {
            if (!n.isTextual() && !n.isIntegralNumber()) throw new NumberFormatException();
            BigInteger v = value.startsWith("0x") ? new BigInteger(value.substring(2), 16) : new BigInteger(value);
            if (v.signum() < 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new ConfigException(field, "is not an amount of wei: " + n);
        }
    }

    private static String firstLine(String message) {
        return String.valueOf(message).lines().findFirst().orElse("unreadable");
    }
}
