package io.flotilla.agent.it;

import io.flotilla.manager.AddressBook;
import io.flotilla.manager.ManagerClient;
import java.io.IOException;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.web3j.crypto.Bip32ECKeyPair;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.MnemonicUtils;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * A real local Ethereum for integration tests: a Hardhat node process on a free loopback port with the manager
 * contracts deployed by deploy/deploy.js (the same script as `./flotilla deploy`), and the stand-in subnode
 * image built and published in the image registry.
 */
public final class TestNetwork implements AutoCloseable {

    /** Hardhat's well-known development mnemonic; its accounts are funded at genesis. */
    private static final String MNEMONIC = "test test test test test test test test test test test junk";
    public static final String STANDIN_VERSION = "standin-1";

    public final Path root;
    public final Path work;
    public final String rpcUrl;
    public final Web3j web3j;
    public final AddressBook book;
    public final Path bookFile;
    public final String standinImageId;
    private final Process node;

    private TestNetwork(Path root, Path work, String rpcUrl, Process node, Web3j web3j, AddressBook book, Path bookFile, String imageId) {
        this.root = root;
        this.work = work;
        this.rpcUrl = rpcUrl;
        this.node = node;
        this.web3j = web3j;
        this.book = book;
        this.bookFile = bookFile;
        this.standinImageId = imageId;
    }

    public static TestNetwork start() throws Exception {
        Path root = repoRoot();
        Path work = Files.createTempDirectory("flotilla-it-");
        String imageId = run(root, Map.of(), root.resolve("deploy/images/subnode-standin/build.sh").toString()).strip();
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String rpcUrl = "http://127.0.0.1:" + port;
        Process node = hardhat(root, work.resolve("hardhat-node.log"), "node", "--hostname", "127.0.0.1", "--port", Integer.toString(port));
        Web3j web3j = Web3j.build(new HttpService(rpcUrl));
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            try {
                web3j.ethChainId().send().getChainId();
                break;
            } catch (IOException e) {
                if (Instant.now().isAfter(deadline) || !node.isAlive()) {
                    node.destroyForcibly();
                    throw new IllegalStateException("the Hardhat node did not answer on " + rpcUrl + ": " + Files.readString(work.resolve("hardhat-node.log")));
                }
                Thread.sleep(250);
            }
        }
        Map<String, String> env = new HashMap<>();
        env.put("FLOTILLA_RPC_URL", rpcUrl);
        env.put("FLOTILLA_ADDRESS_BOOK_DIR", work.toString());
        env.put("FLOTILLA_SUBNODE_VERSION", STANDIN_VERSION);
        env.put("FLOTILLA_SUBNODE_DIGEST", "0x" + imageId.substring("sha256:".length()));
        run(root, env, root.resolve("node_modules/.bin/hardhat").toString(), "run", "deploy/deploy.js", "--network", "localhost");
        Path bookFile = work.resolve("31337.json");
        return new TestNetwork(root, work, rpcUrl, node, web3j, AddressBook.read(bookFile), bookFile, imageId);
    }

    private static String subnodeImage;

    /**
     * The real subnode image, built by deploy/images/subnode/build.sh once per test JVM (it packages the current
     * chain module); returns its image id.
     */
    public static synchronized String subnodeImage(Path root) throws IOException, InterruptedException {
        if (subnodeImage == null) {
            subnodeImage = run(root, Map.of(), root.resolve("deploy/images/subnode/build.sh").toString()).strip();
        }
        return subnodeImage;
    }

    /** Hardhat development account {@code i} (0 holds every admin role after deployment). */
    public static Credentials account(int i) {
        byte[] seed = MnemonicUtils.generateSeed(MNEMONIC, "");
        Bip32ECKeyPair master = Bip32ECKeyPair.generateKeyPair(seed);
        int hardened = Bip32ECKeyPair.HARDENED_BIT;
        return Credentials.create(Bip32ECKeyPair.deriveKeyPair(master, new int[] {44 | hardened, 60 | hardened, hardened, 0, i}));
    }

    /**
     * Sets the manager's parameters for tests: the default prices and lifetimes, and a short rotation delay so a
     * leaving subnode's finishAt comes within the test.
     */
    public void useRotationDelay(ManagerClient admin, java.time.Duration rotationDelay) {
        admin.transact("SidechainManager", new org.web3j.abi.datatypes.Function("setParameters", List.<org.web3j.abi.datatypes.Type>of(
                new io.flotilla.manager.contracts.SidechainManager.Parameters(BigInteger.valueOf(1_000_000_000L), BigInteger.valueOf(3600),
                        BigInteger.valueOf(5L * 365 * 86400), BigInteger.valueOf(rotationDelay.toSeconds()), BigInteger.valueOf(30L * 86400),
                        BigInteger.valueOf(600))), List.of()), BigInteger.ZERO);
    }

    public ManagerClient client(Credentials credentials) {
        return new ManagerClient(web3j, credentials, book);
    }

    public BigInteger ether(long eth) {
        return BigInteger.TEN.pow(18).multiply(BigInteger.valueOf(eth));
    }

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("flotilla"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the repository root (the folder holding ./flotilla)");
        }
        return p;
    }

    private static Process hardhat(Path root, Path log, String... args) throws IOException {
        String[] command = new String[args.length + 1];
        command[0] = root.resolve("node_modules/.bin/hardhat").toString();
        System.arraycopy(args, 0, command, 1, args.length);
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("PATH", root.resolve("node_modules/.bin") + ":" + System.getenv("PATH"));
        return pb.start();
    }

    /** Runs a command in the repo root and returns its standard output; fails with its output when it fails. */
    static String run(Path root, Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile());
        pb.environment().put("PATH", root.resolve("node_modules/.bin") + ":" + System.getenv("PATH"));
        pb.environment().putAll(env);
        Path err = Files.createTempFile("flotilla-cmd-", ".err");
        try {
            pb.redirectError(err.toFile());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out + Files.readString(err));
            }
            return out;
        } finally {
            Files.deleteIfExists(err); // also when the command failed (some tests expect it to)
        }
    }

    @Override
    public void close() {
        web3j.shutdown();
        node.descendants().forEach(ProcessHandle::destroy);
        node.destroy();
        try {
            if (!node.waitFor(10, TimeUnit.SECONDS)) {
                node.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteRecursively(work);
    }

    private static void deleteRecursively(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temp folder is harmless
        }
    }

    /** A short wait used between polls in tests. */
    public static void pause(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
