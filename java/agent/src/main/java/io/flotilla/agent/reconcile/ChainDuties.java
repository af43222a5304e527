package io.flotilla.agent.reconcile;

import io.flotilla.manager.ChainInfo;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.ManagerException;
import io.flotilla.manager.NodeChain;
import io.flotilla.manager.NodeInfo;
import io.flotilla.manager.NodeStatus;
import io.flotilla.manager.PendingDraw;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an agent does on the manager contracts for the chains its node serves, each reconcile pass: it finalizes
 * their pending draws (rotations requested by anyone, by a liveness quorum or by its own exit: their outcome is
 * fixed by the request's block, so finalizing only stops the delay), keeps its own exit going while its node is
 * Leaving, and removes its chains once expired (which frees its units). Every step is a separate transaction;
 * a refusal (another agent was faster, the seed block is still the newest) is logged and retried next pass.
 */
public final class ChainDuties {

    private static final Logger LOG = LoggerFactory.getLogger(ChainDuties.class);
    private static final int EXIT_BATCH = 16;

    private final ManagerClient client;
    private final String consensusKey;
    private final java.util.function.Supplier<org.web3j.crypto.Credentials> consensusCredentials;
    private volatile boolean keyRegistered;

    /** Duties without the consensus key's registration (an operator command acting for the node once). */
    public ChainDuties(ManagerClient client) {
        this.client = client;
        this.consensusKey = null;
        this.consensusCredentials = null;
        this.keyRegistered = true;
    }

    /**
     * @param consensusKey the address of the node's consensus key (docs/agent.md, "Keys")
     * @param consensusCredentials the key itself, to prove its possession when registering it
     */
    public ChainDuties(ManagerClient client, String consensusKey, java.util.function.Supplier<org.web3j.crypto.Credentials> consensusCredentials) {
        this.client = client;
        this.consensusKey = consensusKey.toLowerCase();
        this.consensusCredentials = consensusCredentials;
    }

    /** Performs the duties of {@code node}; returns one line per transaction sent. Never throws. */
    public List<String> perform(NodeInfo node) {
        List<String> done = new ArrayList<>();
        try {
            // The node's consensus key is registered before anything else: its subnodes sign with nothing else.
            if (!keyRegistered && node.status() != NodeStatus.LEFT) {
                if (client.consensusKeyOf(node.id()).equals(consensusKey)) {
                    keyRegistered = true;
                } else {
                    attempt(done, "setConsensusKey(" + node.id() + ", " + consensusKey + ")",
                            () -> client.setConsensusKey(node.id(), consensusCredentials.get()));
                    keyRegistered = client.consensusKeyOf(node.id()).equals(consensusKey);
                }
            }
            List<NodeChain> chains = client.chainsOfNode(node.id());
            List<PendingDraw> draws = new ArrayList<>();
            for (NodeChain chain : chains) {
                draws.add(client.pendingDraw(chain.chainId()));
            }
            if (node.status() == NodeStatus.LEAVING && (chains.isEmpty() || draws.stream().anyMatch(d -> !d.pending()))) {
                attempt(done, "processExit(" + node.id() + ")", () -> client.processExit(node.id(), EXIT_BATCH));
                draws.clear();
                for (NodeChain chain : chains) {
                    draws.add(client.pendingDraw(chain.chainId()));
                }
            }
            for (PendingDraw draw : draws) {
                if (draw.pending()) {
                    attempt(done, "finalizeDraw(" + draw.chainId() + ", " + draw.kind() + ")", () -> client.finalizeDraw(draw.chainId()));
                }
            }
            if (!chains.isEmpty()) {
                Instant chainNow = client.latestBlockTime();
                for (NodeChain placement : chains) {
                    ChainInfo chain = client.chain(placement.chainId());
                    if (chain.status() == ChainInfo.ChainStatus.ACTIVE && !chain.expiresAt().isAfter(chainNow)) {
                        attempt(done, "removeExpired(" + chain.id() + ")", () -> client.removeExpired(chain.id()));
                    }
                }
            }
        } catch (ManagerException e) {
            LOG.warn("node {}: chain duties skipped this pass: {}", node.id(), e.getMessage());
        }
        return done;
    }

    private static void attempt(List<String> done, String what, Runnable action) {
        try {
            action.run();
            done.add(what);
            LOG.info("{}: done", what);
        } catch (ManagerException e) {
            LOG.debug("{}: {}", what, e.getMessage());
        }
    }
}
