package io.flotilla.agent.reconcile;

import io.flotilla.manager.ChainInfo;
import io.flotilla.manager.Member;
import io.flotilla.subnode.config.Consensus;
import io.flotilla.subnode.config.Genesis;
import io.flotilla.subnode.config.Image;
import io.flotilla.subnode.config.PortLayout;
import io.flotilla.subnode.config.Ports;
import io.flotilla.subnode.config.SubnodeConfig;
import io.flotilla.subnode.config.SubnodeConfigJson;
import io.flotilla.subnode.config.Tracing;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Builds the config a subnode reads at /config/config.json from what the manager contracts say, in the schema of
 * java/subnode-config (format in docs/agent.md). The JSON is canonical, so its hash changes exactly when the content
 * does.
 */
public final class SubnodeConfigRenderer {

    /** In-container paths of the mounts. */
    public static final String CONFIG_MOUNT = "/config";
    public static final String DATA_MOUNT = "/data";
    /** The node's consensus keystore and its password (docs/agent.md, "Keys"); never the operator key. */
    public static final String KEY_FILE = "consensus-key.json";
    public static final String PASSWORD_FILE = "consensus-key.password";
    /** The chain owner's coin at genesis (10^6 coins): the owner hands it out. */
    static final BigInteger OWNER_ALLOCATION = new BigInteger("1000000000000000000000000");

    /**
     * @param config the config
     * @param json the whole file
     * @param hash hash of the whole file: what the file on disk must hash to
     * @param processHash hash of the fields that need a new process (everything but {@link SubnodeConfig#LIVE_FIELDS})
     */
    public record Rendered(SubnodeConfig config, String json, String hash, String processHash) {}

    private SubnodeConfigRenderer() {}

    public static Rendered render(ChainInfo chain, long nodeId, String bindIp, int slot, int basePort, List<Member> members) {
        List<io.flotilla.subnode.config.Member> entries = members.stream()
                .map(m -> new io.flotilla.subnode.config.Member(m.nodeId(), signer(m), m.ip(), Ports.from(m.firstPort())))
                .toList();
        // Every chain's minimum gas price is 1 gwei: the owner gets the chain's coin at genesis and hands it out, so
        // every transaction costs its sender something (docs/chain.md, "Admission"). Per-chain prices need a chain
        // option on the manager contracts, which is not there yet.
        SubnodeConfig config = new SubnodeConfig(chain.id(), chain.name(), SubnodeConfig.EVM_CHAIN_ID_BASE + chain.id(), nodeId, slot,
                bindIp, PortLayout.of(basePort, slot), entries,
                new Consensus(chain.consensus(), Consensus.DEFAULT_BLOCK_TIME_MS, Consensus.DEFAULT_HEARTBEAT_MS),
                Genesis.withDefaults(chain.owner(), Map.of(chain.owner(), OWNER_ALLOCATION)),
                Path.of(CONFIG_MOUNT, KEY_FILE), Path.of(CONFIG_MOUNT, PASSWORD_FILE), Path.of(DATA_MOUNT),
                new Image(chain.imageVersion(), chain.imageDigest()), Tracing.DEFAULT);
        String json = SubnodeConfigJson.write(config);
        return new Rendered(config, json, hash(json), hash(SubnodeConfigJson.writeProcessView(config)));
    }

    /**
     * The address whose signatures count as {@code m}'s votes: its consensus key. A node that has registered none yet
     * is listed with its operator address, which no subnode holds: it counts as a member that does not vote until
     * its agent registers its key (the agent does so on its first pass).
     */
    static String signer(Member m) {
        return m.hasConsensusKey() ? m.consensusKey() : m.address();
    }

    /** Short SHA-256 (16 hex digits) of a text. */
    public static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
