package io.flotilla.chain.execution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.storage.StateDiff;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.StateRoot;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state store in a separate JVM, as a member runs it: a writer killed (SIGKILL) in the middle of committing leaves
 * a store that opens at its last whole block, state and tries agreeing; and a state of 200,000 accounts plus a
 * 200,000-slot contract is built and read in a 32 MiB heap (it would take several hundred MiB as objects).
 */
class StateProcessTest {
    private static final Address TOKEN = Address.fromHex("0x7000000000000000000000000000000000000016");

    @TempDir
    Path dir;

    /** Child JVM: {@code write DIR} commits random blocks forever, printing each head; {@code big DIR N} builds N accounts and N slots. */
    public static void main(String[] args) throws Exception {
        Path d = Path.of(args[1]);
        try (ChainStore store = ChainStore.open(d, 6L << 20)) {
            ChainState chain = ChainState.open(store, StateOnDiskTest.genesis(15), new ChainState.StateOptions(8, false));
            if (args[0].equals("write")) {
                Address[] pool = StateOnDiskTest.pool();
                Random rnd = new Random(21);
                for (int b = 1; ; b++) {
                    int number = b;
                    StateDiff diff = chain.read(s -> StateTriesTest.randomDiff(rnd, pool, s, number));
                    // Plus a batch of new accounts: each block's write batch is large enough to be cut by a kill.
                    Map<Address, Account> more = new HashMap<>(diff.accounts());
                    more.putAll(StateOnDiskTest.newAccounts(1_000 + b * 300, 1_000 + b * 300 + 300).accounts());
                    StateOnDiskTest.commit(chain, new StateDiff(more, diff.storageCleared(), diff.storageWrites()));
                    System.out.println("head " + chain.head().number());
                    System.out.flush();
                }
            }
            int n = Integer.parseInt(args[2]);
            int perBlock = 2_000;
            // In trie-key order (as an import does): each block extends the tries' right edge.
            long[] order = sortedByKey(n, i -> io.flotilla.evm.crypto.Keccak.hash(StateOnDiskTest.address(100_000 + i).toArray()));
            for (int from = 0; from < n; from += perBlock) {
                Map<Address, Account> acc = new HashMap<>();
                for (int k = from; k < Math.min(n, from + perBlock); k++) {
                    int i = (int) (order[k] & 0xFFFFF);
                    acc.put(StateOnDiskTest.address(100_000 + i), Account.of(0, Word.of(1000 + 100_000 + i), new byte[0]));
                }
                if (from == 0) acc.put(TOKEN, Account.of(1, Word.ZERO, new byte[] {0x60, 0x00}));
                StateOnDiskTest.commit(chain, new StateDiff(acc, java.util.Set.of(), Map.of()));
            }
            order = sortedByKey(n, i -> io.flotilla.evm.crypto.Keccak.hash(Word.of(i + 1).toBytes()));
            for (int from = 0; from < n; from += perBlock) {
                Map<Word, Word> slots = new HashMap<>();
                for (int k = from; k < Math.min(n, from + perBlock); k++) {
                    int i = (int) (order[k] & 0xFFFFF);
                    slots.put(Word.of(i + 1), Word.of(7 + i));
                }
                StateOnDiskTest.commit(chain, new StateDiff(Map.of(), java.util.Set.of(), Map.of(TOKEN, slots)));
            }
            Runtime rt = Runtime.getRuntime();
            System.gc();
            System.out.println("done " + chain.head().number() + " heapMiB " + (rt.totalMemory() - rt.freeMemory()) / (1 << 20)
                    + " maxMiB " + rt.maxMemory() / (1 << 20));
        }
    }

    /** Indices 0..n-1 ordered by the first 40 bits of their trie key, as (key prefix << 20 | index). */
    static long[] sortedByKey(int n, java.util.function.IntFunction<byte[]> key) {
        long[] order = new long[n];
        for (int i = 0; i < n; i++) {
            byte[] h = key.apply(i);
            long prefix = 0;
            for (int b = 0; b < 5; b++) prefix = (prefix << 8) | (h[b] & 0xFF);
            order[i] = (prefix << 20) | i;
        }
        java.util.Arrays.sort(order);
        return order;
    }

    private static Process child(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), StateProcessTest.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    @Test
    void aWriterKilledMidBlockLeavesTheStoreAtItsLastWholeBlock() throws Exception {
        Path d = dir.resolve("chain");
        Process p = child("write", d.toString());
        long last = -1;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            String line;
            while ((line = out.readLine()) != null && System.nanoTime() < deadline) {
                last = Long.parseLong(line.substring(5));
                if (last >= 25) break;
            }
            // Killed while it commits the next blocks (each one write batch of several hundred keys).
            Thread.sleep(new Random().nextInt(40));
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
        assertTrue(last >= 25, "the writer committed blocks before it was killed (" + last + ")");
        try (ChainStore store = ChainStore.open(d)) {
            ChainState chain = ChainState.open(store, StateOnDiskTest.genesis(15), new ChainState.StateOptions(8, false));
            long head = chain.head().number();
            assertTrue(head >= last, "head " + head + " after block " + last + " was reported committed");
            // The flat records, the trie nodes and the header agree: the whole last block, nothing of a later one.
            assertArrayEquals(chain.head().stateRoot(), StateRoot.compute(chain.read(s -> s)), "flat state = head's root");
            for (long n = head - 8; n <= head; n++) {
                assertArrayEquals(chain.header(n).orElseThrow().stateRoot(), StateRoot.compute(chain.stateAt(n).orElseThrow()), "tries of block " + n);
            }
            assertEquals(0, chain.account(StateOnDiskTest.address(1_000 + (int) (head + 1) * 300)).balance().toBigInteger().signum(),
                    "no account of the block being written when killed");
            StateOnDiskTest.commit(chain, StateOnDiskTest.newAccounts(900_000, 900_010));
            assertEquals(head + 1, chain.head().number(), "the chain goes on from there");
        }
    }

    @Test
    void twoHundredThousandAccountsAndSlotsInA32MiBHeap() throws Exception {
        Path d = dir.resolve("big");
        int n = 200_000;
        Process p = child("big", d.toString(), Integer.toString(n));
        String done;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            done = out.readLine();
        }
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the builder finished");
        assertEquals(0, p.exitValue(), "no OutOfMemoryError in 32 MiB (" + done + ")");
        assertTrue(done != null && done.startsWith("done " + (2 * n / 2_000)), done);
        System.out.println("StateProcessTest: " + done);
        try (ChainStore store = ChainStore.open(d, 1L << 20)) {
            ChainState chain = ChainState.open(store, StateOnDiskTest.genesis(15), new ChainState.StateOptions(8, false));
            Random rnd = new Random(4);
            for (int k = 0; k < 200; k++) {
                int i = rnd.nextInt(n);
                assertEquals(BigInteger.valueOf(1000 + 100_000 + i), chain.account(StateOnDiskTest.address(100_000 + i)).balance().toBigInteger());
                assertEquals(Word.of(7 + i), chain.storage(TOKEN, Word.of(i + 1)));
                long back = chain.head().number() - 1;
                ChainState.AccountProof proof = chain.proof(back, TOKEN, List.of(Word.of(i + 1))).orElseThrow();
                assertTrue(io.flotilla.evm.trie.TrieProof.verify(chain.header(back).orElseThrow().stateRoot(),
                        io.flotilla.evm.crypto.Keccak.hash(TOKEN.toArray()), proof.accountProof()).isPresent());
                assertEquals(chain.stateAt(back).orElseThrow().storage(TOKEN, Word.of(i + 1)), proof.storage().get(0).value(), "slot " + (i + 1) + " one block back");
            }
            assertTrue(store.nodes().cachedBytes() <= 1L << 20);
        }
    }
}
