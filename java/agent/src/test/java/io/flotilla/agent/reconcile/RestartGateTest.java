package io.flotilla.agent.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.ManualClock;
import io.flotilla.agent.liveness.SubnodeRpc;
import io.flotilla.agent.plan.DesiredSubnode;
import io.flotilla.agent.runtime.ResourceLimits;
import io.flotilla.manager.Member;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** No two members of a chain restart at once: members take turns by node id, and only while the others finalize. */
class RestartGateTest {

    private static final Duration STAGGER = Duration.ofSeconds(20);
    private static final List<Member> MEMBERS = List.of(member(3), member(5), member(8), member(9));

    private final Map<Long, SubnodeRpc.Health> health = new HashMap<>();
    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-07T00:00:00Z"));
    private final RestartGate gate = new RestartGate(new io.flotilla.agent.liveness.ChainMembers() {
        @Override
        public List<Member> membersOf(long chainId) {
            return MEMBERS;
        }

        @Override
        public long reportDown(long chainId, long nodeId) {
            throw new UnsupportedOperationException();
        }
    }, (ip, port, at) -> Optional.ofNullable(health.get(Long.parseLong(ip.substring(ip.lastIndexOf('.') + 1)))),
            clock, STAGGER);

    private static Member member(long id) {
        return new Member(id, "0x" + id, "127.0.1." + id, 20000, 0, 20000, "0x", Member.NO_KEY);
    }

    private static DesiredSubnode subnode(long nodeId, String processHash) {
        return new DesiredSubnode("0a0b0c0d", 7, "c7", nodeId, 0, "2", "sha256:01", new ResourceLimits(1000, 100_000, 1, 64L << 20, 64), "{}", "c",
                processHash);
    }

    private void allFinalizing() {
        MEMBERS.forEach(m -> health.put(m.nodeId(), new SubnodeRpc.Health(100, clock.instant(), true, 3)));
    }

    @Test
    void theFirstMemberByNodeIdMayRestartAtOnceWhenTheOthersFinalize() {
        allFinalizing();
        assertThat(gate.refusal(subnode(3, "new"))).isEmpty();
    }

    @Test
    void laterMembersWaitForTheirTurnCountedFromWhenTheChangeWasFirstSeen() {
        allFinalizing();
        assertThat(gate.refusal(subnode(8, "new"))).get().asString().startsWith("waiting for its turn (member 3 of 4");
        clock.advance(STAGGER.multipliedBy(2).minusSeconds(1));
        assertThat(gate.refusal(subnode(8, "new"))).get().asString().startsWith("waiting for its turn");
        clock.advance(Duration.ofSeconds(1));
        assertThat(gate.refusal(subnode(8, "new"))).isEmpty();
    }

    @Test
    void aMemberThatIsNotFinalizingOrDoesNotAnswerHoldsEveryRestartBack() {
        allFinalizing();
        health.put(5L, new SubnodeRpc.Health(90, clock.instant(), false, 1));
        assertThat(gate.refusal(subnode(3, "new"))).contains("member 5 is not finalizing");
        health.remove(5L);
        assertThat(gate.refusal(subnode(3, "new"))).contains("member 5 is not finalizing (no answer)");
        health.put(5L, new SubnodeRpc.Health(100, clock.instant(), true, 3));
        assertThat(gate.refusal(subnode(3, "new"))).isEmpty();
    }

    @Test
    void aNewChangeStartsTheTurnsAgain() {
        allFinalizing();
        gate.refusal(subnode(9, "first"));
        clock.advance(STAGGER.multipliedBy(3));
        assertThat(gate.refusal(subnode(9, "first"))).isEmpty();
        assertThat(gate.refusal(subnode(9, "second"))).get().asString().startsWith("waiting for its turn (member 4 of 4");
    }
}
