package io.flotilla.agent.plan;

import io.flotilla.agent.runtime.ObservedContainer;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;

/**
 * The rollback rule of an image rollout (docs/agent.md, "Image rollout"). Pure: from a chain's pinned image, the
 * container that runs now (its labels) and whether this agent has seen that container finalize, it says whether
 * this node must run the previous image instead of the pinned one.
 *
 * <ul>
 *   <li>A container recreated for a new pinned image carries the image it replaced and the time of the change. If
 *       the agent has not seen it finalize within {@code grace} of that time, it is rolled back: this node runs the
 *       previous image again.
 *   <li>A rolled-back container carries the image that failed; while that is still the pinned image the node keeps the
 *       previous one (no flapping). Another pinned version starts a new rollout.
 *   <li>After {@code judgeUntil} from the change the new image is taken as it is: an agent that was down through the
 *       whole grace period, then restarted without memory, does not roll back a long-running member because its chain
 *       happens to stall later for another reason.
 * </ul>
 */
public final class Rollout {

    /**
     * @param grace how long a member on a new image has to finalize before it is rolled back
     * @param judgeUntil after this long from the change, the member is no longer judged (at least {@code grace})
     */
    public record Policy(Duration grace, Duration judgeUntil) {

        public Policy {
            if (judgeUntil.compareTo(grace) < 0) {
                throw new IllegalArgumentException("judgeUntil " + judgeUntil + " is shorter than the grace period " + grace);
            }
        }

        /** Judged for ten grace periods. */
        public static Policy withGrace(Duration grace) {
            return new Policy(grace, grace.multipliedBy(10));
        }
    }

    /**
     * This node runs {@code previous} for the chain instead of the pinned {@code failed} image.
     *
     * @param startsNow true when the rollback is decided in this pass (the container still runs the failed image)
     */
    public record Hold(Action.ImageRef previous, Action.ImageRef failed, boolean startsNow) {}

    private final Policy policy;

    public Rollout(Policy policy) {
        this.policy = policy;
    }

    public Policy policy() {
        return policy;
    }

    /**
     * @param pinned the chain's pinned image id
     * @param pinnedVersion its version
     * @param current the chain's container on this node, null when there is none
     * @param confirmed whether this agent has seen {@code current} finalize on its image
     */
    public Optional<Hold> hold(String pinned, String pinnedVersion, ObservedContainer current, boolean confirmed, Instant now) {
        if (current == null) {
            return Optional.empty();
        }
        Map<String, String> labels = current.labels();
        Action.ImageRef failed = new Action.ImageRef(pinnedVersion, pinned);
        if (pinned.equals(labels.get(Names.LABEL_ROLLBACK_OF)) && labels.get(Names.LABEL_IMAGE_ID) != null
                && labels.get(Names.LABEL_IMAGE_VERSION) != null) {
            return Optional.of(new Hold(new Action.ImageRef(labels.get(Names.LABEL_IMAGE_VERSION), labels.get(Names.LABEL_IMAGE_ID)), failed, false));
        }
        if (confirmed || !pinned.equals(labels.get(Names.LABEL_IMAGE_ID)) || labels.get(Names.LABEL_PREVIOUS_IMAGE_ID) == null
                || labels.get(Names.LABEL_PREVIOUS_IMAGE_VERSION) == null) {
            return Optional.empty();
        }
        Instant changedAt = rolloutAt(labels);
        if (changedAt == null || now.isBefore(changedAt.plus(policy.grace())) || !now.isBefore(changedAt.plus(policy.judgeUntil()))) {
            return Optional.empty();
        }
        return Optional.of(new Hold(new Action.ImageRef(labels.get(Names.LABEL_PREVIOUS_IMAGE_VERSION), labels.get(Names.LABEL_PREVIOUS_IMAGE_ID)),
                failed, true));
    }

    /**
     * Whether {@code current} is a member on a new image that this agent still has to see finalize (the agent probes
     * its own subnode for these only).
     */
    public boolean onTrial(String pinned, ObservedContainer current, Instant now) {
        if (current == null || !pinned.equals(current.labels().get(Names.LABEL_IMAGE_ID))
                || current.labels().get(Names.LABEL_PREVIOUS_IMAGE_ID) == null) {
            return false;
        }
        Instant changedAt = rolloutAt(current.labels());
        return changedAt != null && now.isBefore(changedAt.plus(policy.judgeUntil()));
    }

    private static Instant rolloutAt(Map<String, String> labels) {
        try {
            String at = labels.get(Names.LABEL_ROLLOUT_AT);
            return at == null ? null : Instant.parse(at);
        } catch (DateTimeParseException e) {
            return null; // a malformed label: nothing to judge by
        }
    }
}
