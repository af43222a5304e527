package io.flotilla.chain.config;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The subnode's configuration, as the agent writes it to /config/config.json (format in docs/agent.md).
 *
 * @param chainId the manager's chain id
 * @param evmChainId the EIP-155 chain id transactions are signed for
 * @param members every member, this node included
 * @param catchUp true when this node joined by rotation and must download blocks before voting
 * @param syncPeers peers to download blocks from
 */
public record NodeConfig(
        long chainId,
        String chainName,
        long evmChainId,
        long nodeId,
        String bindIp,
        Ports ports,
        List<Member> members,
        Consensus consensus,
        Genesis genesis,
        Path keyFile,
        Path passwordFile,
        Path dataDir,
        boolean catchUp,
        List<SyncPeer> syncPeers,
        Tracing tracing) {

    public NodeConfig {
        members = List.copyOf(members);
        syncPeers = List.copyOf(syncPeers);
    }

    /** The five ports of a subnode: basePort + slot x 16 + offset. */
    public record Ports(int consensus, int catchUp, int rpcHttp, int rpcWs, int metrics) {}

    public record Member(long nodeId, String address, String ip, String publicKey, Ports ports) {}

    /**
     * @param engine the consensus engine's name ("bft")
     * @param blockTimeMs target time between blocks while there are transactions
     * @param heartbeatMs longest time without a block on an idle chain
     */
    public record Consensus(String engine, long blockTimeMs, long heartbeatMs) {}

    /**
     * @param alloc address to balance in wei, prefunded at genesis
     * @param minGasPriceWei the fixed minimum gas price; 1 gwei when the config does not say, zero only when it says so
     * @param maxTxBytes the largest raw transaction admitted (default 128 KiB)
     * @param maxBlockBytes the largest block (default 2 MiB, at most 3 MiB: under the peer frame limit)
     */
    public record Genesis(String owner, Map<String, BigInteger> alloc, long gasLimit, BigInteger minGasPriceWei, int maxTxBytes,
                          int maxBlockBytes) {

        public Genesis {
            alloc = Map.copyOf(alloc);
        }
    }

    /**
     * debug_trace* limits ("tracing" in config.json, optional): {@code enabled} (default true), {@code concurrency}
     * (traces at once, default 1), {@code timeoutMs} (the longest a caller may ask for, default 30,000) and
     * {@code maxMegabytes} (largest trace answer, default 8).
     */
    public record Tracing(boolean enabled, int concurrency, long timeoutMs, int maxMegabytes) {
        public static final Tracing DEFAULT = new Tracing(true, 1, 30_000, 8);
    }

    public record SyncPeer(long nodeId, String ip, int catchUpPort) {}

    /**
     * The fields that differ in {@code next} and that only a new process can take (chain identity, genesis, keys,
     * addresses and ports this node binds, consensus timing, this node's own address); empty when {@code next}
     * differs at most in what is applied live: the members (addresses and endpoints), catchUp and syncPeers.
     */
    public List<String> restartFieldsChanged(NodeConfig next) {
        List<String> changed = new java.util.ArrayList<>();
        if (chainId != next.chainId) changed.add("chainId");
        if (!chainName.equals(next.chainName)) changed.add("chainName");
        if (evmChainId != next.evmChainId) changed.add("evmChainId");
        if (nodeId != next.nodeId) changed.add("nodeId");
        if (!bindIp.equals(next.bindIp)) changed.add("bindIp");
        if (!ports.equals(next.ports)) changed.add("ports");
        if (!consensus.equals(next.consensus)) changed.add("consensus");
        if (!genesis.equals(next.genesis)) changed.add("genesis");
        if (!keyFile.equals(next.keyFile)) changed.add("keyFile");
        if (!passwordFile.equals(next.passwordFile)) changed.add("passwordFile");
        if (!dataDir.equals(next.dataDir)) changed.add("dataDir");
        if (!java.util.Objects.equals(tracing, next.tracing)) changed.add("tracing");
        if (!self().address().equals(next.self().address())) changed.add("members[self].address");
        return changed;
    }

    /** This config with the live fields (members, catchUp, syncPeers) of {@code next}. */
    public NodeConfig withLiveFields(NodeConfig next) {
        return new NodeConfig(chainId, chainName, evmChainId, nodeId, bindIp, ports, next.members, consensus, genesis, keyFile,
                passwordFile, dataDir, next.catchUp, next.syncPeers, tracing);
    }

    /** This node's own entry among the members. */
    public Member self() {
        return members.stream().filter(m -> m.nodeId() == nodeId).findFirst()
                .orElseThrow(() -> new ConfigException("config: node " + nodeId + " is not among the members"));
    }
}
