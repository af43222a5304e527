package io.flotilla.agent.reconcile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.flotilla.manager.ChainInfo;
import io.flotilla.manager.Member;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders the config file a subnode reads at /config/config.json (format in docs/agent.md). The rendering is
 * canonical (sorted keys), so its hash changes exactly when the content does.
 */
public final class SubnodeConfig {

    /** In-container paths of the mounts. */
    public static final String CONFIG_MOUNT = "/config";
    public static final String DATA_MOUNT = "/data";
    public static final String KEY_FILE = "node-key.json";
    public static final String PASSWORD_FILE = "node-key.password";
    /** Sidechain EVM chain ids are this base plus the manager's chain id ("FL" in the high bytes). */
    public static final long EVM_CHAIN_ID_BASE = 0x464C_0000L;
    /**
     * Every chain's minimum gas price (1 gwei): the owner gets the chain's coin at genesis and hands it out, so every
     * transaction costs its sender something (docs/chain.md, "Admission"). Per-chain prices need a chain option on the
     * manager contracts, which is not there yet.
     */
    public static final String DEFAULT_MIN_GAS_PRICE_WEI = "1000000000";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Fields a running subnode applies live when the file changes (docs/agent.md, "Live switch"); every other field
     * needs a new process, so only they enter the process hash that labels the container.
     */
    public static final java.util.Set<String> LIVE_FIELDS = java.util.Set.of("members", "syncPeers", "catchUp");

    /**
     * @param json the whole file
     * @param hash hash of the whole file: what the file on disk must hash to
     * @param processHash hash of the fields that need a new process (everything but {@link #LIVE_FIELDS})
     */
    public record Rendered(String json, String hash, String processHash) {}

    private SubnodeConfig() {}

    public static Rendered render(ChainInfo chain, long nodeId, String bindIp, int slot, int basePort, List<Member> members, boolean catchUp) {
        int first = Ports.first(basePort, slot);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("chainId", chain.id());
        root.put("chainName", chain.name());
        root.put("evmChainId", EVM_CHAIN_ID_BASE + chain.id());
        root.put("nodeId", nodeId);
        root.put("slot", slot);
        root.put("bindIp", bindIp);
        root.put("rpcPort", first + Ports.RPC_HTTP);
        root.put("ports", ports(first));
        List<Map<String, Object>> peers = new ArrayList<>();
        List<Map<String, Object>> memberList = new ArrayList<>();
        for (Member m : members) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("nodeId", m.nodeId());
            entry.put("address", m.address());
            entry.put("ip", m.ip());
            entry.put("publicKey", m.publicKey());
            entry.put("ports", ports(m.firstPort()));
            memberList.add(entry);
            if (m.nodeId() != nodeId) {
                peers.add(Map.of("nodeId", m.nodeId(), "ip", m.ip(), "catchUpPort", m.firstPort() + Ports.CATCH_UP));
            }
        }
        root.put("members", memberList);
        root.put("consensus", Map.of("engine", chain.consensus(), "blockTimeMs", 1000, "heartbeatMs", 30_000));
        root.put("genesis", Map.of("owner", chain.owner(), "gasLimit", 30_000_000, "minGasPriceWei", DEFAULT_MIN_GAS_PRICE_WEI,
                "alloc", Map.of(chain.owner(), "1000000000000000000000000")));
        root.put("keyFile", CONFIG_MOUNT + "/" + KEY_FILE);
        root.put("passwordFile", CONFIG_MOUNT + "/" + PASSWORD_FILE);
        root.put("dataDir", DATA_MOUNT);
        root.put("catchUp", catchUp);
        root.put("syncPeers", catchUp ? peers : List.of());
        root.put("image", Map.of("version", chain.imageVersion(), "id", chain.imageDigest()));
        try {
            String json = JSON.writeValueAsString(root) + "\n";
            Map<String, Object> process = new LinkedHashMap<>(root);
            LIVE_FIELDS.forEach(process::remove);
            return new Rendered(json, hash(json), hash(JSON.writeValueAsString(process)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render subnode config", e);
        }
    }

    private static Map<String, Object> ports(int first) {
        return Map.of("consensus", first + Ports.CONSENSUS, "catchUp", first + Ports.CATCH_UP, "rpcHttp", first + Ports.RPC_HTTP,
                "rpcWs", first + Ports.RPC_WS, "metrics", first + Ports.METRICS);
    }

    /** Short SHA-256 (16 hex digits) of a text. */
    public static String hash(String json) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(json.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
