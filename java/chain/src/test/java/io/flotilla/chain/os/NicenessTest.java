package io.flotilla.chain.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class NicenessTest {
    /** Field 19 of /proc/thread-self/stat is the nice value (fields counted after the command in parentheses). */
    private static int currentNice() throws Exception {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(f[16]);
    }

    @Test
    void aThreadThatLowersItsPriorityRunsWithThatNiceValueAndOthersDoNot() throws Exception {
        AtomicReference<int[]> seen = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                int before = currentNice();
                boolean done = Niceness.lowerCurrentThread(Niceness.CLIENT_WORK);
                seen.set(new int[] {before, done ? 1 : 0, currentNice()});
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        t.join();
        assertEquals(0, seen.get()[0]);
        assertEquals(1, seen.get()[1], "setpriority on the thread's own id succeeds without privileges");
        assertEquals(Niceness.CLIENT_WORK, seen.get()[2]);
        assertEquals(0, currentNice(), "the test's own thread is untouched");
    }

    @Test
    void virtualThreadsAndOutOfRangeValuesAreRefused() throws Exception {
        AtomicReference<Boolean> virtual = new AtomicReference<>();
        Thread.ofVirtual().start(() -> virtual.set(Niceness.lowerCurrentThread(5))).join();
        assertFalse(virtual.get(), "a virtual thread would renice its carrier");
        assertThrows(IllegalArgumentException.class, () -> Niceness.lowerCurrentThread(-1));
        assertThrows(IllegalArgumentException.class, () -> Niceness.lowerCurrentThread(20));
        assertTrue(currentNice() >= 0);
    }
}
