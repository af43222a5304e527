package io.flotilla.agent.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.runtime.ObservedContainer;
import io.flotilla.agent.runtime.ObservedContainer.ContainerState;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When a member on a new image goes back to its previous one, and that it then stays there. */
class RolloutTest {

    private static final String V1 = "sha256:" + "1".repeat(64);
    private static final String V2 = "sha256:" + "2".repeat(64);
    private static final String V3 = "sha256:" + "3".repeat(64);
    private static final Duration GRACE = Duration.ofSeconds(60);
    private static final Instant CHANGED = Instant.parse("2026-12-07T12:00:00Z");
    private static final Rollout ROLLOUT = new Rollout(Rollout.Policy.withGrace(GRACE));

    /** A container created for the move from 1.0 to 2.0 at {@link #CHANGED}. */
    private static ObservedContainer onNewImage(ContainerState state) {
        Map<String, String> labels = new HashMap<>(Map.of(Names.LABEL_IMAGE_VERSION, "2.0", Names.LABEL_IMAGE_ID, V2,
                Names.LABEL_PREVIOUS_IMAGE_VERSION, "1.0", Names.LABEL_PREVIOUS_IMAGE_ID, V1, Names.LABEL_ROLLOUT_AT, CHANGED.toString()));
        return new ObservedContainer("c2", "flotilla-x-alpha-1", V2, labels, state, 0, CHANGED.plusSeconds(1), null);
    }

    private static ObservedContainer rolledBack() {
        return new ObservedContainer("c1", "flotilla-x-alpha-1", V1, Map.of(Names.LABEL_IMAGE_VERSION, "1.0", Names.LABEL_IMAGE_ID, V1,
                Names.LABEL_ROLLBACK_OF, V2), ContainerState.RUNNING, 0, CHANGED.plusSeconds(70), null);
    }

    @Test
    void aNewImageHasTheGracePeriodToFinalize() {
        ObservedContainer c = onNewImage(ContainerState.RUNNING);
        assertThat(ROLLOUT.onTrial(V2, c, CHANGED.plusSeconds(30))).isTrue();
        assertThat(ROLLOUT.hold(V2, "2.0", c, false, CHANGED.plus(GRACE).minusMillis(1))).isEmpty();
    }

    @Test
    void aNewImageThatHasNotFinalizedWithinTheGracePeriodIsRolledBackToThePreviousDigest() {
        assertThat(ROLLOUT.hold(V2, "2.0", onNewImage(ContainerState.RUNNING), false, CHANGED.plus(GRACE)))
                .contains(new Rollout.Hold(new Action.ImageRef("1.0", V1), new Action.ImageRef("2.0", V2), true));
        // Crash-looping on the new image counts the same: the grace period runs from the change, not the last start.
        assertThat(ROLLOUT.hold(V2, "2.0", onNewImage(ContainerState.EXITED), false, CHANGED.plus(GRACE)))
                .get().extracting(Rollout.Hold::previous).isEqualTo(new Action.ImageRef("1.0", V1));
    }

    @Test
    void aNewImageSeenFinalizingOnceIsNeverRolledBack() {
        assertThat(ROLLOUT.hold(V2, "2.0", onNewImage(ContainerState.RUNNING), true, CHANGED.plus(GRACE.multipliedBy(3)))).isEmpty();
    }

    @Test
    void noFlappingARolledBackMemberKeepsThePreviousImageWhileTheFailedOneIsPinned() {
        for (long minutes : new long[] {2, 60, 60 * 24 * 30}) {
            assertThat(ROLLOUT.hold(V2, "2.0", rolledBack(), false, CHANGED.plus(Duration.ofMinutes(minutes))))
                    .contains(new Rollout.Hold(new Action.ImageRef("1.0", V1), new Action.ImageRef("2.0", V2), false));
        }
        assertThat(ROLLOUT.onTrial(V2, rolledBack(), CHANGED.plusSeconds(90))).isFalse();
        // Another version pinned by the owner: a new rollout from the image that runs.
        assertThat(ROLLOUT.hold(V3, "3.0", rolledBack(), false, CHANGED.plusSeconds(90))).isEmpty();
    }

    @Test
    void aContainerThatNeverMovedImagesOrIsPastTheJudgementIsLeftAlone() {
        ObservedContainer created = new ObservedContainer("c", "n", V1, Map.of(Names.LABEL_IMAGE_VERSION, "1.0", Names.LABEL_IMAGE_ID, V1),
                ContainerState.EXITED, 1, CHANGED, CHANGED);
        assertThat(ROLLOUT.hold(V1, "1.0", created, false, CHANGED.plus(GRACE.multipliedBy(2)))).isEmpty();
        assertThat(ROLLOUT.hold(V1, "1.0", null, false, CHANGED)).isEmpty();
        // An agent that restarts (no memory of seeing it finalize) long after the change does not judge it again.
        assertThat(ROLLOUT.hold(V2, "2.0", onNewImage(ContainerState.RUNNING), false, CHANGED.plus(GRACE.multipliedBy(10)))).isEmpty();
        assertThat(ROLLOUT.onTrial(V2, onNewImage(ContainerState.RUNNING), CHANGED.plus(GRACE.multipliedBy(10)))).isFalse();
        // The chain moved on while this node was still on the new image: nothing to hold for the old pin.
        assertThat(ROLLOUT.hold(V3, "3.0", onNewImage(ContainerState.RUNNING), false, CHANGED.plus(GRACE))).isEmpty();
    }
}
