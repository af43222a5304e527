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

    private static final String OLD = "sha256:" + "0".repeat(64);
    private static final String NEW = "sha256:01";

    private void runs(long nodeId, String image, boolean finalizing) {
        health.put(nodeId, new SubnodeRpc.Health(100, clock.instant(), finalizing, 3, image));
    }

    @Test
    void anImageGoesMemberByMemberEachWaitingForTheOnesBeforeItToFinalizeOnTheNewImage() {
        MEMBERS.forEach(m -> runs(m.nodeId(), OLD, true));
        assertThat(gate.refusal(subnode(3, "new"), true)).isEmpty();
        // Member 3's turn: 5 waits for its stagger, then for 3 to run the new image and finalize on it.
        clock.advance(STAGGER.multipliedBy(3));
        assertThat(gate.refusal(subnode(5, "new"), true)).get().asString()
                .startsWith("member 3 goes first and runs " + OLD + ", not 2 (" + NEW + ") yet");
        runs(3, NEW, false); // restarted, catching up
        assertThat(gate.refusal(subnode(5, "new"), true)).contains("member 3 is not finalizing");
        assertThat(gate.refusal(subnode(8, "new"), true)).contains("member 3 is not finalizing");
        runs(3, NEW, true);
        assertThat(gate.refusal(subnode(5, "new"), true)).isEmpty();
        // One at a time: 8 waits for 5, although 3 is done; members after it (9) are not waited for.
        assertThat(gate.refusal(subnode(8, "new"), true)).get().asString().startsWith("member 5 goes first");
        runs(5, NEW, true);
        assertThat(gate.refusal(subnode(8, "new"), true)).isEmpty();
    }

    @Test
    void aMemberThatRolledBackHoldsEveryLaterMemberOnTheOldImage() {
        MEMBERS.forEach(m -> runs(m.nodeId(), OLD, true));
        runs(3, NEW, true);
        runs(5, OLD, true); // its agent rolled it back: it finalizes again, on the previous image
        gate.refusal(subnode(8, "new"), true);
        gate.refusal(subnode(9, "new"), true);
        clock.advance(Duration.ofHours(1)); // long past every turn
        assertThat(gate.refusal(subnode(8, "new"), true)).get().asString().startsWith("member 5 goes first and runs " + OLD)
                .endsWith("the rollout of this chain is held");
        assertThat(gate.refusal(subnode(9, "new"), true)).get().asString().startsWith("member 5 goes first");
        // Not an image change (new limits): the image the others run does not matter.
        assertThat(gate.refusal(subnode(9, "new"), false)).isEmpty();
    }

    @Test
    void aMemberThatDoesNotSayItsImageIsTakenToHaveHadItsTurnAfterTheStagger() {
        allFinalizing(); // health without an image: an older subnode
        gate.refusal(subnode(5, "new"), true);
        clock.advance(STAGGER);
        assertThat(gate.refusal(subnode(5, "new"), true)).isEmpty();
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
