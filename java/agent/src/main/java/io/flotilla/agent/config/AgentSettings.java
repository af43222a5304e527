package io.flotilla.agent.config;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Every setting of the agent, bound from application.yml, environment variables (FLOTILLA_AGENT_*) and
 * --flotilla.agent.* flags. {@link SettingsValidator} checks them before anything starts.
 *
 * @param managerRpcUrl JSON-RPC URL of the Ethereum network the manager contracts live on
 * @param addressBook the address book written by deploy/deploy.js
 * @param keystore the node key as an encrypted web3j (V3) keystore file
 * @param passwordFile file holding the keystore's password
 * @param ip the node's public IPv4 address; subnodes bind to it
 * @param basePort first port of the node's range (128 slots x 16 ports)
 * @param capacity what the node offers; zero fields are detected from the host
 * @param reserve what the agent and the host keep for themselves before dividing among subnodes
 * @param dockerHost Docker engine endpoint
 * @param dataDir where subnode config directories live
 * @param pollInterval how often the agent polls contract events
 * @param resyncInterval how often the agent re-reads everything even without events
 * @param volumeGracePeriod how long a chain's data volume is kept after the chain left this node
 * @param restartMaxDelay longest wait between restarts of a crashing subnode
 * @param livenessThreshold how long a peer's JSON-RPC must stay unreachable before it is reported down
 * @param subnodeUidBase first uid of this node's subnodes: the subnode of slot s runs as uid (and gid) base + s
 * @param firewallTable the nftables table (family inet) the agent keeps its firewall in, or "off"
 */
@ConfigurationProperties(prefix = "flotilla.agent")
public record AgentSettings(
        String managerRpcUrl,
        Path addressBook,
        Path keystore,
        Path passwordFile,
        String ip,
        int basePort,
        Capacity capacity,
        Capacity reserve,
        String dockerHost,
        Path dataDir,
        Duration pollInterval,
        Duration resyncInterval,
        Duration volumeGracePeriod,
        Duration restartMaxDelay,
        Duration livenessThreshold,
        int subnodeUidBase,
        String firewallTable) {

    /** CPU in millicores, memory in MiB, disk in GiB. */
    public record Capacity(int cpuMillicores, long memoryMiB, long diskGiB) {}
}
