package io.flotilla.agent.liveness;

import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.Member;
import java.math.BigInteger;
import java.util.List;

/**
 * What the liveness rules read from, and send to, the manager contracts: a chain's members, and a report that one is
 * down (returning the gas it used). {@link #of(ManagerClient)} is the real one; tests judge with a fake chain.
 */
public interface ChainMembers {

    /** Throws ManagerException when the contracts cannot be read. */
    List<Member> membersOf(long chainId);

    /** Files a report; returns the gas its receipt shows. Throws when the contracts refuse it. */
    long reportDown(long chainId, long nodeId);

    static ChainMembers of(ManagerClient client) {
        return new ChainMembers() {
            @Override
            public List<Member> membersOf(long chainId) {
                return client.membersOf(chainId);
            }

            @Override
            public long reportDown(long chainId, long nodeId) {
                var receipt = client.reportDown(chainId, nodeId);
                return receipt.getGasUsed() == null ? PeerProber.ASSUMED_REPORT_GAS
                        : receipt.getGasUsed().min(BigInteger.valueOf(Long.MAX_VALUE)).longValue();
            }
        };
    }
}
