package io.flotilla.agent.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.plan.Action.CreateContainer;
import io.flotilla.agent.plan.Action.CreateVolume;
import io.flotilla.agent.plan.Action.RecreateContainer;
import io.flotilla.agent.plan.Action.RefuseImage;
import io.flotilla.agent.plan.Action.RemoveContainer;
import io.flotilla.agent.plan.Action.RemoveVolume;
import io.flotilla.agent.plan.Action.RestartContainer;
import io.flotilla.agent.plan.Action.StartContainer;
import io.flotilla.agent.plan.Action.UpdateResources;
import io.flotilla.agent.plan.Action.WriteConfig;
import io.flotilla.agent.plan.ActualState.RestartHistory;
import io.flotilla.agent.runtime.ObservedContainer;
import io.flotilla.agent.runtime.ObservedContainer.ContainerState;
import io.flotilla.agent.runtime.ObservedVolume;
import io.flotilla.agent.runtime.ResourceLimits;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The planner as a table: given what the contracts want and what Docker shows, these are the steps. */
class PlannerTest {

    private static final long NODE = 7;
    private static final String IMAGE = "sha256:" + "a".repeat(64);
    private static final String OTHER_IMAGE = "sha256:" + "b".repeat(64);
    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
    private static final Planner PLANNER = new Planner(new Planner.Policy(Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofHours(1)));

    private static DesiredSubnode subnode(long chainId, String processHash) {
        return subnode(chainId, processHash, "c1");
    }

    private static DesiredSubnode subnode(long chainId, String processHash, String configHash) {
        return new DesiredSubnode("0a0b0c0d", chainId, "chain-" + chainId, NODE, 0, "1.0.0", IMAGE,
                new ResourceLimits(50_000, 100_000, 64, 256L << 20, 256), "{}", configHash, processHash);
    }

    private static ObservedContainer container(DesiredSubnode s, ContainerState state, int exitCode) {
        return new ObservedContainer("id-" + s.chainId(), s.containerName(), IMAGE, Names.containerLabels(s), state, exitCode,
                NOW.minusSeconds(30), state == ContainerState.RUNNING ? null : NOW.minusSeconds(5));
    }

    private static ObservedVolume volume(DesiredSubnode s) {
        return new ObservedVolume(s.volumeName(), Names.volumeLabels(s));
    }

    private static DesiredState desired(DesiredSubnode... subnodes) {
        return new DesiredState(NODE, List.of(subnodes), Map.of());
    }

    /** Every desired config file on disk is current ("c1"). */
    private static ActualState actual(List<ObservedContainer> containers, List<ObservedVolume> volumes) {
        Map<Long, String> onDisk = new HashMap<>();
        for (long chain = 1; chain <= 5; chain++) {
            onDisk.put(chain, "c1");
        }
        return new ActualState(containers, volumes, Set.of(IMAGE), Map.of(), Map.of(), onDisk);
    }

    private static ObservedContainer withLimits(ObservedContainer c, ResourceLimits limits) {
        return new ObservedContainer(c.id(), c.name(), c.imageId(), c.labels(), c.state(), c.exitCode(), c.startedAt(), c.finishedAt(), limits);
    }

    @Test
    void aResizedChainGetsItsNewLimitsInPlaceWithoutARestart() {
        DesiredSubnode s = subnode(1, "h1");
        ResourceLimits old = new ResourceLimits(25_000, 100_000, 32, 128L << 20, 128);
        ObservedContainer running = withLimits(container(s, ContainerState.RUNNING, 0), old);
        assertThat(PLANNER.plan(desired(s), actual(List.of(running), List.of(volume(s))), NOW))
                .containsExactly(new UpdateResources(1, "id-1", s.limits(), old));
        // A stopped container is updated too (and restarted after its backoff as any other).
        ObservedContainer exited = withLimits(container(s, ContainerState.EXITED, 1), old);
        assertThat(PLANNER.plan(desired(s), actual(List.of(exited), List.of(volume(s))), NOW))
                .contains(new UpdateResources(1, "id-1", s.limits(), old))
                .noneMatch(a -> a instanceof RecreateContainer);
    }

    @Test
    void limitsAlreadyAppliedOrUnknownChangeNothing() {
        DesiredSubnode s = subnode(1, "h1");
        ObservedContainer applied = withLimits(container(s, ContainerState.RUNNING, 0), s.limits());
        assertThat(PLANNER.plan(desired(s), actual(List.of(applied), List.of(volume(s))), NOW)).isEmpty();
        assertThat(PLANNER.plan(desired(s), actual(List.of(container(s, ContainerState.RUNNING, 0)), List.of(volume(s))), NOW)).isEmpty();
    }

    @Test
    void aResizeThatAlsoChangesTheMemberSetUpdatesLimitsAndWritesTheConfigLive() {
        DesiredSubnode s = subnode(1, "h1", "c2");
        ResourceLimits old = new ResourceLimits(25_000, 100_000, 32, 128L << 20, 128);
        ObservedContainer running = withLimits(container(s, ContainerState.RUNNING, 0), old);
        assertThat(PLANNER.plan(desired(s), actual(List.of(running), List.of(volume(s))), NOW))
                .containsExactly(new UpdateResources(1, "id-1", s.limits(), old), new WriteConfig(1, s));
    }

    @Test
    void anImageChangeRecreatesWithTheNewLimitsRatherThanUpdating() {
        DesiredSubnode s = subnode(1, "h1");
        ObservedContainer c = container(s, ContainerState.RUNNING, 0);
        Map<String, String> labels = new HashMap<>(c.labels());
        labels.put(Names.LABEL_IMAGE_ID, OTHER_IMAGE);
        ObservedContainer old = new ObservedContainer(c.id(), c.name(), OTHER_IMAGE, labels, c.state(), 0, c.startedAt(), null,
                new ResourceLimits(25_000, 100_000, 32, 128L << 20, 128));
        List<Action> plan = PLANNER.plan(desired(s), actual(List.of(old), List.of(volume(s))), NOW);
        assertThat(plan).hasSize(2).noneMatch(a -> a instanceof UpdateResources);
        assertThat(plan.get(1)).isInstanceOf(RecreateContainer.class);
    }

    @Test
    void aNewChainGetsAVolumeAConfigAndAContainer() {
        DesiredSubnode s = subnode(1, "h1");
        List<Action> plan = PLANNER.plan(desired(s), actual(List.of(), List.of()), NOW);
        assertThat(plan).containsExactly(new CreateVolume(1, s), new WriteConfig(1, s), new CreateContainer(1, s));
    }

    @Test
    void aRunningSubnodeWithTheDesiredConfigIsLeftAlone() {
        DesiredSubnode s = subnode(1, "h1");
        assertThat(PLANNER.plan(desired(s), actual(List.of(container(s, ContainerState.RUNNING, 0)), List.of(volume(s))), NOW)).isEmpty();
    }

    @Test
    void aCreatedButNotStartedContainerIsStarted() {
        DesiredSubnode s = subnode(1, "h1");
        assertThat(PLANNER.plan(desired(s), actual(List.of(container(s, ContainerState.CREATED, 0)), List.of(volume(s))), NOW))
                .containsExactly(new StartContainer(1, "id-1", s));
    }

    @Test
    void anExitedContainerIsRestartedWhateverItsExitCodeIncludingZero() {
        DesiredSubnode s = subnode(1, "h1");
        for (int exitCode : new int[] {0, 1, 137}) {
            assertThat(PLANNER.plan(desired(s), actual(List.of(container(s, ContainerState.EXITED, exitCode)), List.of(volume(s))), NOW))
                    .containsExactly(new RestartContainer(1, "id-1", 1, exitCode, s));
        }
    }

    @Test
    void restartsBackOffExponentially() {
        DesiredSubnode s = subnode(1, "h1");
        ObservedContainer exited = container(s, ContainerState.EXITED, 1);
        // Third attempt done 3 s ago: the next waits 1 s x 2^3 = 8 s.
        ActualState waiting = new ActualState(List.of(exited), List.of(volume(s)), Set.of(IMAGE),
                Map.of("id-1", new RestartHistory(3, NOW.minusSeconds(3))), Map.of(), Map.of(1L, "c1"));
        assertThat(PLANNER.plan(desired(s), waiting, NOW)).isEmpty();
        assertThat(PLANNER.plan(desired(s), waiting, NOW.plusSeconds(5))).containsExactly(new RestartContainer(1, "id-1", 4, 1, s));
        // The delay is capped.
        ActualState many = new ActualState(List.of(exited), List.of(volume(s)), Set.of(IMAGE),
                Map.of("id-1", new RestartHistory(30, NOW.minusSeconds(61))), Map.of(), Map.of(1L, "c1"));
        assertThat(PLANNER.plan(desired(s), many, NOW)).containsExactly(new RestartContainer(1, "id-1", 31, 1, s));
    }

    @Test
    void aMembershipChangeRewritesTheConfigAndLeavesTheRunningContainerAlone() {
        DesiredSubnode before = subnode(1, "h1", "c1");
        DesiredSubnode after = subnode(1, "h1", "c2"); // same process hash, new member set
        assertThat(PLANNER.plan(desired(after), actual(List.of(container(before, ContainerState.RUNNING, 0)), List.of(volume(before))), NOW))
                .containsExactly(new WriteConfig(1, after));
    }

    @Test
    void aChangeThatNeedsANewProcessRewritesTheConfigThenRecreatesTheContainerKeepingTheVolume() {
        DesiredSubnode before = subnode(1, "h1");
        DesiredSubnode after = subnode(1, "h2", "c2");
        assertThat(PLANNER.plan(desired(after), actual(List.of(container(before, ContainerState.RUNNING, 0)), List.of(volume(before))), NOW))
                .containsExactly(new WriteConfig(1, after), new RecreateContainer(1, "id-1", after,
                        "process config changed (ports, keys, uid, chain or genesis)", true));
        // A stopped container serves nobody: it is replaced without asking the other members.
        assertThat(PLANNER.plan(desired(after), actual(List.of(container(before, ContainerState.EXITED, 1)), List.of(volume(before))), NOW))
                .contains(new RecreateContainer(1, "id-1", after, "process config changed (ports, keys, uid, chain or genesis)", false));
    }

    @Test
    void aStrayContainerForAChainTheContractsDoNotKnowIsLeftAlone() {
        DesiredSubnode known = subnode(1, "h1");
        DesiredSubnode unknown = subnode(4, "h1");
        ActualState state = actual(List.of(container(known, ContainerState.RUNNING, 0), container(unknown, ContainerState.EXITED, 1)),
                List.of(volume(known), volume(unknown)));
        DesiredState desired = new DesiredState(NODE, List.of(known), Map.of(), Set.of(4L));
        assertThat(PLANNER.plan(desired, state, NOW)).isEmpty();
        assertThat(Planner.isOrphaned(volume(unknown), desired, state)).isFalse();
    }

    @Test
    void aMissingPinnedImageIsRefusedAndNothingIsCreated() {
        DesiredSubnode s = subnode(1, "h1");
        ActualState noImage = new ActualState(List.of(), List.of(), Set.of(OTHER_IMAGE), Map.of(), Map.of());
        List<Action> plan = PLANNER.plan(desired(s), noImage, NOW);
        assertThat(plan).hasSize(1).first().isInstanceOf(RefuseImage.class);
        assertThat(((RefuseImage) plan.get(0)).reason()).contains("1.0.0").contains(IMAGE);
    }

    @Test
    void aChainThatLeftTheNodeLosesItsContainerButKeepsItsVolumeDuringTheGracePeriod() {
        DesiredSubnode gone = subnode(2, "h1");
        ActualState state = actual(List.of(container(gone, ContainerState.RUNNING, 0)), List.of(volume(gone)));
        assertThat(PLANNER.plan(desired(), state, NOW))
                .containsExactly(new RemoveContainer(2, "id-2", "chain no longer assigned to this node"));

        ActualState onlyVolume = new ActualState(List.of(), List.of(volume(gone)), Set.of(IMAGE), Map.of(),
                Map.of(gone.volumeName(), NOW.minusSeconds(60)));
        assertThat(Planner.isOrphaned(volume(gone), desired(), onlyVolume)).isTrue();
        assertThat(PLANNER.plan(desired(), onlyVolume, NOW)).isEmpty();
        assertThat(PLANNER.plan(desired(), onlyVolume, NOW.plus(Duration.ofHours(1)))).containsExactly(new RemoveVolume(2, gone.volumeName()));
    }

    @Test
    void aLeavingSubnodeServesUntilFinishAtAndIsThenRemoved() {
        DesiredSubnode leaving = subnode(3, "h1");
        ActualState state = actual(List.of(container(leaving, ContainerState.RUNNING, 0)), List.of(volume(leaving)));
        DesiredState until = new DesiredState(NODE, List.of(), Map.of(3L, NOW.plusSeconds(60)));
        assertThat(PLANNER.plan(until, state, NOW)).isEmpty();
        assertThat(Planner.isOrphaned(volume(leaving), until, state)).isFalse();
        // Still restarted if it stops before finishAt.
        ActualState exited = actual(List.of(container(leaving, ContainerState.EXITED, 2)), List.of(volume(leaving)));
        assertThat(PLANNER.plan(until, exited, NOW)).containsExactly(new RestartContainer(3, "id-3", 1, 2, null));
        assertThat(PLANNER.plan(until, state, NOW.plusSeconds(60))).singleElement().isInstanceOf(RemoveContainer.class);
    }

    @Test
    void duplicateContainersOfOneChainAreRemovedKeepingTheProperlyNamedOne() {
        DesiredSubnode s = subnode(1, "h1");
        ObservedContainer proper = container(s, ContainerState.RUNNING, 0);
        ObservedContainer stray = new ObservedContainer("stray", "flotilla-chain-1-7-old", IMAGE, Names.containerLabels(s),
                ContainerState.RUNNING, 0, NOW, null);
        assertThat(PLANNER.plan(desired(s), actual(List.of(stray, proper), List.of(volume(s))), NOW))
                .containsExactly(new RemoveContainer(1, "stray", "duplicate container for the chain"));
    }

    @Test
    void anImageUpgradeRecreatesTheContainer() {
        DesiredSubnode old = subnode(1, "h1");
        DesiredSubnode upgraded = new DesiredSubnode("0a0b0c0d", 1, old.chainName(), NODE, 0, "2.0.0", OTHER_IMAGE, old.limits(), "{}", "c1", "h1");
        ActualState state = new ActualState(List.of(container(old, ContainerState.RUNNING, 0)), List.of(volume(old)),
                Set.of(IMAGE, OTHER_IMAGE), Map.of(), Map.of());
        assertThat(PLANNER.plan(desired(upgraded), state, NOW))
                .containsExactly(new WriteConfig(1, upgraded), new RecreateContainer(1, "id-1", upgraded, "image changed to 2.0.0", true,
                        new Action.ImageRef("1.0.0", IMAGE), false));
    }

    @Test
    void aRollbackPutsTheContainerBackOnItsPreviousImageWithoutWaitingForTheGateAndThenHolds() {
        DesiredSubnode old = subnode(1, "h1");
        DesiredSubnode upgraded = new DesiredSubnode("0a0b0c0d", 1, old.chainName(), NODE, 0, "2.0.0", OTHER_IMAGE, old.limits(), "{}", "c1", "h2");
        // What the reader gives while the rollout is held: the previous image, labelled with the one that failed.
        DesiredSubnode held = new DesiredSubnode("0a0b0c0d", 1, old.chainName(), NODE, 0, "1.0.0", IMAGE, old.limits(), "{}", "c1", "h1",
                null, OTHER_IMAGE);
        ActualState onNew = new ActualState(List.of(container(upgraded, ContainerState.RUNNING, 0)), List.of(volume(old)),
                Set.of(IMAGE, OTHER_IMAGE), Map.of(), Map.of(), Map.of(1L, "c1"));
        assertThat(PLANNER.plan(desired(held), onNew, NOW)).containsExactly(new WriteConfig(1, held),
                new RecreateContainer(1, "id-1", held, "image 2.0.0 did not finalize here; rolling back to 1.0.0", true, null, true));
        // Rolled back: the container carries the failed image's id, and nothing more happens while it stays pinned.
        ObservedContainer rolledBack = container(held, ContainerState.RUNNING, 0);
        assertThat(rolledBack.labels()).containsEntry(Names.LABEL_ROLLBACK_OF, OTHER_IMAGE).containsEntry(Names.LABEL_IMAGE_ID, IMAGE);
        ActualState back = new ActualState(List.of(rolledBack), List.of(volume(old)), Set.of(IMAGE, OTHER_IMAGE), Map.of(), Map.of(),
                Map.of(1L, "c1"));
        assertThat(PLANNER.plan(desired(held), back, NOW)).isEmpty();
        // A newer pinned version is a new rollout, from the image that runs.
        String third = "sha256:" + "c".repeat(64);
        DesiredSubnode v3 = new DesiredSubnode("0a0b0c0d", 1, old.chainName(), NODE, 0, "3.0.0", third, old.limits(), "{}", "c1", "h3");
        ActualState withThird = new ActualState(List.of(rolledBack), List.of(volume(old)), Set.of(IMAGE, OTHER_IMAGE, third), Map.of(),
                Map.of(), Map.of(1L, "c1"));
        assertThat(PLANNER.plan(desired(v3), withThird, NOW)).containsExactly(new WriteConfig(1, v3),
                new RecreateContainer(1, "id-1", v3, "image changed to 3.0.0", true, new Action.ImageRef("1.0.0", IMAGE), false));
    }

    @Test
    void planningIsDeterministic() {
        DesiredSubnode a = subnode(1, "h1");
        DesiredSubnode b = subnode(2, "h1");
        Map<String, Instant> none = new HashMap<>();
        ActualState state = new ActualState(List.of(container(b, ContainerState.EXITED, 0)), List.of(), Set.of(IMAGE), Map.of(), none);
        assertThat(PLANNER.plan(desired(a, b), state, NOW)).isEqualTo(PLANNER.plan(desired(a, b), state, NOW));
    }
}
