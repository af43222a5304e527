package io.flotilla.chain.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bench runs its members as the subnode image runs them: flags and training run read from the Dockerfile. */
class ChainBenchTest {

    private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();

    @Test
    void theMembersGetTheImagesJvmFlagsLessItsContainerPaths() throws Exception {
        List<String> flags = ChainBench.imageFlags(ROOT);
        assertTrue(flags.contains("-XX:+UseSerialGC"), flags.toString());
        assertTrue(flags.stream().noneMatch(f -> f.startsWith("-XX:AOTCache=") || f.startsWith("-Djava.library.path=")), flags.toString());
        assertTrue(ChainBench.imageUsesAotCache(ROOT), "the image starts from its ahead-of-time cache");
    }

    @Test
    void theBenchTrainsItsCacheWithTheImagesTrainingFlagsAndRounds() throws Exception {
        List<List<String>> run = ChainBench.trainingRun(ROOT);
        List<String> flags = run.get(0);
        assertTrue(flags.contains("-XX:+UseSerialGC"), "the cache needs the GC the members run: " + flags);
        assertFalse(flags.stream().anyMatch(f -> f.startsWith("-XX:AOTCacheOutput=") || f.startsWith("-Djava.io.tmpdir=")), flags.toString());
        assertTrue(Integer.parseInt(run.get(1).get(0)) > 0, "rounds: " + run.get(1));
    }
}
