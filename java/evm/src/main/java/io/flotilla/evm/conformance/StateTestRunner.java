package io.flotilla.evm.conformance;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs every Cancun case of the GeneralStateTests under a folder and prints
 * "folder: P passed, F failed" per folder and a closing "N passed, N failed" (skip-listed cases
 * are counted on a line of their own just before it).
 *
 * <p>Usage: {@code StateTestRunner <folder> [--verbose] [--timeout-seconds N]}
 */
public final class StateTestRunner {
    /** Totals of a run; {@code perFolder} maps folder to {passed, failed, skipped}. */
    public record Summary(int passed, int failed, int skipped, Map<String, int[]> perFolder) {
    }

    private final long timeoutMillis;
    private final boolean verbose;
    private final PrintStream out;
    private final SkipList skipList = SkipList.load();
    private final StateTestLoader loader = new StateTestLoader();
    private ExecutorService executor;

    public StateTestRunner(long timeoutMillis, boolean verbose, PrintStream out) {
        this.timeoutMillis = timeoutMillis;
        this.verbose = verbose;
        this.out = out;
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: StateTestRunner <GeneralStateTests folder> [--verbose] [--timeout-seconds N]");
            System.exit(2);
        }
        Path root = Path.of(args[0]);
        boolean verbose = false;
        long timeout = 30;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--verbose")) verbose = true;
            else if (args[i].equals("--timeout-seconds") && i + 1 < args.length) timeout = Long.parseLong(args[++i]);
        }
        if (!Files.isDirectory(root)) {
            System.err.println("not a directory: " + root);
            System.exit(2);
        }
        Summary s = new StateTestRunner(timeout * 1000, verbose, System.out).run(root);
        System.exit(s.failed() == 0 ? 0 : 1);
    }

    /** Each case runs on its own large-stack thread so deep call chains cannot overflow the runner. */
    private ExecutorService newExecutor() {
        ThreadFactory f = r -> {
            Thread t = new Thread(null, r, "state-test", 64L * 1024 * 1024);
            t.setDaemon(true);
            return t;
        };
        return Executors.newSingleThreadExecutor(f);
    }

    public Summary run(Path root) throws IOException {
        executor = newExecutor();
        Map<String, int[]> perFolder = new TreeMap<>();
        int passed = 0, failed = 0, skipped = 0;
        try {
            List<Path> files = loader.files(root);
            for (Path file : files) {
                String folder = StateTestLoader.folderOf(root, file);
                int[] counts = perFolder.computeIfAbsent(folder, k -> new int[3]);
                List<StateTestCase> cases;
                try {
                    cases = loader.load(root, file);
                } catch (IOException | RuntimeException e) {
                    counts[1]++;
                    failed++;
                    if (verbose) out.println("FAIL " + file + ": unreadable: " + e);
                    continue;
                }
                for (StateTestCase c : cases) {
                    CaseResult r = runOne(c);
                    switch (r) {
                        case CaseResult.Passed p -> {
                            counts[0]++;
                            passed++;
                        }
                        case CaseResult.Failed fl -> {
                            counts[1]++;
                            failed++;
                            if (verbose) out.println("FAIL " + c.folder() + "/" + c.id() + ": " + fl.reason());
                        }
                        case CaseResult.Skipped sk -> {
                            counts[2]++;
                            skipped++;
                        }
                    }
                }
            }
        } finally {
            executor.shutdownNow();
        }
        for (Map.Entry<String, int[]> e : perFolder.entrySet()) {
            int[] c = e.getValue();
            out.println(e.getKey() + ": " + c[0] + " passed, " + c[1] + " failed");
        }
        if (skipped > 0) out.println("skipped (see " + SkipList.RESOURCE.substring(1) + "): " + skipped);
        out.println(passed + " passed, " + failed + " failed");
        return new Summary(passed, failed, skipped, perFolder);
    }

    private CaseResult runOne(StateTestCase c) {
        var skip = skipList.reasonFor(c);
        if (skip.isPresent()) return new CaseResult.Skipped(skip.get());
        StateTestExecutor exec = new StateTestExecutor();
        Future<CaseResult> f = executor.submit(() -> exec.run(c));
        try {
            return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // The stuck thread is abandoned (daemon) and a fresh one takes over.
            f.cancel(true);
            executor.shutdownNow();
            executor = newExecutor();
            return new CaseResult.Failed("timeout after " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new CaseResult.Failed("interrupted");
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return new CaseResult.Failed("crash: " + cause);
        } catch (StackOverflowError e) {
            return new CaseResult.Failed("stack overflow");
        }
    }
}
