package io.flotilla.subnode.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A subnode's configuration: what the agent writes to /config/config.json and the chain reads (format in
 * docs/agent.md, JSON by {@link SubnodeConfigJson}). Every value is checked when the record is built, so an invalid
 * config cannot exist in either process.
 *
 * @param chainId the manager's chain id
 * @param chainName the chain's name on the manager
 * @param evmChainId the EIP-155 chain id transactions are signed for
 * @param nodeId this node's id on the manager
 * @param slot the slot the agent gave this chain on this node (0-127; the ports follow from it)
 * @param bindIp the IPv4 address this subnode binds
 * @param ports the ports this subnode binds
 * @param members every member, this node included; applied live when the file changes ({@link #LIVE_FIELDS})
 * @param consensus consensus engine and timing
 * @param genesis the genesis block's parameters
 * @param keyFile the V3 keystore of this member's consensus key
 * @param passwordFile the file holding the keystore's password
 * @param dataDir where the chain keeps its database
 * @param image the image the agent runs this chain with
 * @param tracing debug_trace* limits
 * @param state how the state is kept on disk (cache, history window, archive)
 */
public record SubnodeConfig(
        long chainId,
        String chainName,
        long evmChainId,
        long nodeId,
        int slot,
        String bindIp,
        Ports ports,
        List<Member> members,
        Consensus consensus,
        Genesis genesis,
        Path keyFile,
        Path passwordFile,
        Path dataDir,
        Image image,
        Tracing tracing,
        StateStore state) {

    /** Sidechain EVM chain ids are this base plus the manager's chain id ("FL" in the high bytes). */
    public static final long EVM_CHAIN_ID_BASE = 0x464C_0000L;

    /**
     * The fields a running subnode applies live when the file changes (docs/agent.md, "Live switch"); a change in any
     * other field needs a new process.
     */
    public static final Set<String> LIVE_FIELDS = Set.of("members");

    public SubnodeConfig {
        Check.nonNegative("chainId", chainId);
        Check.text("chainName", chainName);
        Check.nonNegative("evmChainId", evmChainId);
        Check.nonNegative("nodeId", nodeId);
        Check.range("slot", slot, 0, PortLayout.MAX_SLOTS - 1);
        Check.ipv4("bindIp", bindIp);
        Check.notNull("ports", ports);
        Check.notNull("members", members);
        members = List.copyOf(members);
        if (members.isEmpty()) throw new ConfigException("members", "is empty");
        Set<Long> ids = new java.util.HashSet<>();
        for (int i = 0; i < members.size(); i++) {
            if (!ids.add(members.get(i).nodeId())) {
                throw new ConfigException("members[" + i + "].nodeId", "appears twice: " + members.get(i).nodeId());
            }
        }
        if (!ids.contains(nodeId)) throw new ConfigException("members", "does not include this node (nodeId " + nodeId + ")");
        Check.notNull("consensus", consensus);
        Check.notNull("genesis", genesis);
        Check.notNull("keyFile", keyFile);
        Check.notNull("passwordFile", passwordFile);
        Check.notNull("dataDir", dataDir);
        image = image == null ? new Image("", "") : image;
        tracing = tracing == null ? Tracing.DEFAULT : tracing;
        state = state == null ? StateStore.DEFAULT : state;
    }

    /** A config with the default state keeping ({@link StateStore#DEFAULT}). */
    public SubnodeConfig(long chainId, String chainName, long evmChainId, long nodeId, int slot, String bindIp, Ports ports,
                         List<Member> members, Consensus consensus, Genesis genesis, Path keyFile, Path passwordFile,
                         Path dataDir, Image image, Tracing tracing) {
        this(chainId, chainName, evmChainId, nodeId, slot, bindIp, ports, members, consensus, genesis, keyFile, passwordFile,
                dataDir, image, tracing, null);
    }

    /** This node's own entry among the members. */
    public Member self() {
        return members.stream().filter(m -> m.nodeId() == nodeId).findFirst().orElseThrow();
    }

    /**
     * The fields that differ in {@code next} and that only a new process can take (everything but
     * {@link #LIVE_FIELDS}, plus this node's own member address: the key it signs with); empty when {@code next}
     * differs at most in the member set.
     */
    public List<String> restartFieldsChanged(SubnodeConfig next) {
        List<String> changed = new ArrayList<>();
        if (chainId != next.chainId) changed.add("chainId");
        if (!chainName.equals(next.chainName)) changed.add("chainName");
        if (evmChainId != next.evmChainId) changed.add("evmChainId");
        if (nodeId != next.nodeId) changed.add("nodeId");
        if (slot != next.slot) changed.add("slot");
        if (!bindIp.equals(next.bindIp)) changed.add("bindIp");
        if (!ports.equals(next.ports)) changed.add("ports");
        if (!consensus.equals(next.consensus)) changed.add("consensus");
        if (!genesis.equals(next.genesis)) changed.add("genesis");
        if (!keyFile.equals(next.keyFile)) changed.add("keyFile");
        if (!passwordFile.equals(next.passwordFile)) changed.add("passwordFile");
        if (!dataDir.equals(next.dataDir)) changed.add("dataDir");
        if (!image.equals(next.image)) changed.add("image");
        if (!Objects.equals(tracing, next.tracing)) changed.add("tracing");
        if (!Objects.equals(state, next.state)) changed.add("state");
        if (!self().address().equals(next.self().address())) changed.add("members[self].address");
        return changed;
    }

    /** This config with the live fields ({@link #LIVE_FIELDS}) of {@code next}. */
    public SubnodeConfig withLiveFields(SubnodeConfig next) {
        return new SubnodeConfig(chainId, chainName, evmChainId, nodeId, slot, bindIp, ports, next.members, consensus, genesis,
                keyFile, passwordFile, dataDir, image, tracing, state);
    }
}
