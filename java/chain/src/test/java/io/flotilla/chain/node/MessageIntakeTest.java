package io.flotilla.chain.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.types.Address;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The consensus thread's intake: bounded queues per peer and lane, and what a full queue drops. */
class MessageIntakeTest {
    private static final Address PEER = Address.of(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});

    @Test
    void statusTrafficCannotPushOutTheSnapshotAnswersAJoinerWaitsFor() throws Exception {
        MessageIntake intake = new MessageIntake("intake-test", 1 << 20);
        try {
            CountDownLatch busy = new CountDownLatch(1);
            intake.execute(() -> await(busy)); // the thread is busy (checking a large answer) while more arrives
            List<String> ran = new ArrayList<>();
            for (int i = 0; i < SnapshotSync.PIPELINE; i++) {
                String name = "answer " + i;
                intake.offer(PEER, MessageIntake.Lane.SNAPSHOT, 2 << 20, () -> record(ran, name));
            }
            for (int i = 0; i < 10; i++) {
                String name = "status " + i;
                intake.offer(PEER, MessageIntake.Lane.OTHER, 100, () -> record(ran, name));
            }
            assertEquals(10 - MessageIntake.OTHER_PER_PEER, intake.dropped(), "the oldest status messages are dropped");
            CountDownLatch done = new CountDownLatch(1);
            busy.countDown();
            intake.execute(done::countDown); // own work runs first: wait until the peer's work ran too
            long deadline = System.currentTimeMillis() + 5_000;
            while (System.currentTimeMillis() < deadline) {
                synchronized (ran) {
                    if (ran.size() == SnapshotSync.PIPELINE + MessageIntake.OTHER_PER_PEER) break;
                }
                Thread.sleep(5);
            }
            synchronized (ran) {
                for (int i = 0; i < SnapshotSync.PIPELINE; i++) assertTrue(ran.contains("answer " + i), ran.toString());
                assertEquals(SnapshotSync.PIPELINE + MessageIntake.OTHER_PER_PEER, ran.size(), ran.toString());
            }
            // A peer flooding its snapshot lane only pushes out its own oldest entries, past the lane's depth.
            CountDownLatch busyAgain = new CountDownLatch(1);
            intake.execute(() -> await(busyAgain));
            long before = intake.dropped();
            for (int i = 0; i < 100; i++) intake.offer(PEER, MessageIntake.Lane.SNAPSHOT, 2 << 20, () -> { });
            assertEquals(100 - MessageIntake.SNAPSHOT_PER_PEER, intake.dropped() - before);
            busyAgain.countDown();
        } finally {
            intake.shutdown();
        }
    }

    private static void record(List<String> ran, String name) {
        synchronized (ran) {
            ran.add(name);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
