package io.flotilla.evm.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Runs a fast subset of ethereum/tests GeneralStateTests when the suite is present beside the repo
 * (../shared/ethereum-tests from the repository root, or -Dflotilla.ethereumTests=DIR); skipped otherwise.
 */
class GeneralStateTestsSubsetTest {
    private static final List<String> FOLDERS = List.of(
            "stExample", "stShift", "stSLoadTest", "stChainId", "stSelfBalance", "stRefundTest",
            "stEIP2930", "stCreate2", "Cancun/stEIP1153-transientStorage", "Cancun/stEIP5656-MCOPY");
    private static final double REQUIRED_PASS_RATE = 0.99;

    static Path suiteRoot() {
        String prop = System.getProperty("flotilla.ethereumTests");
        if (prop != null && !prop.isBlank()) return Path.of(prop).resolve("GeneralStateTests");
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve(".git"))) dir = dir.getParent();
        if (dir == null || dir.getParent() == null) return null;
        return dir.getParent().resolve("shared/ethereum-tests/GeneralStateTests");
    }

    @Test
    void subsetPassesAtTheRequiredRate() throws Exception {
        Path root = suiteRoot();
        Assumptions.assumeTrue(root != null && Files.isDirectory(root), "GeneralStateTests not found; set -Dflotilla.ethereumTests");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StateTestRunner runner = new StateTestRunner(30_000, true, new PrintStream(buf, true, StandardCharsets.UTF_8));
        int passed = 0, failed = 0;
        for (String folder : FOLDERS) {
            Path dir = root.resolve(folder);
            if (!Files.isDirectory(dir)) continue;
            StateTestRunner.Summary s = runner.run(dir);
            passed += s.passed();
            failed += s.failed();
        }
        String report = buf.toString(StandardCharsets.UTF_8);
        assertTrue(passed > 0, "no case ran:\n" + report);
        double rate = (double) passed / (passed + failed);
        assertTrue(rate >= REQUIRED_PASS_RATE, String.format("pass rate %.4f below %.2f%n%s", rate, REQUIRED_PASS_RATE, report));
    }
}
