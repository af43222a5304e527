package io.flotilla.chain.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.InMemoryWorldState;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A subnode's volume is its own small file system (the agent's volume quota, docs/agent.md "Isolation"). When it is
 * full, a commit fails as a whole and what was committed before stays intact: the store on a 16 MiB ext4 file system
 * (loop-mounted; the tests run as root) is filled until a commit fails, then read back from a copy.
 */
class ChainStoreDiskFullTest {

    private static final Address CONTRACT = Address.fromHex("0x00000000000000000000000000000000000c0de2");
    private static final int SLOTS_PER_BLOCK = 4_000;

    @TempDir
    Path tmp;

    private static BlockHeader header(long number, byte[] parent) {
        return new BlockHeader(parent, number, 1_700_000_000L + number, new byte[32], new byte[32], new byte[32], new byte[256],
                30_000_000, 21_000, BigInteger.TEN, Address.fromHex("0x00000000000000000000000000000000000000aa"),
                new byte[] {1, 2}, new byte[] {9, 9, 9});
    }

    @Test
    void aFullVolumeFailsTheCommitAsAWholeAndKeepsEveryCommittedBlock() throws Exception {
        assertEquals("root", System.getProperty("user.name"), "loop mounts need root");
        Path image = tmp.resolve("volume.img");
        Path mount = Files.createDirectories(tmp.resolve("volume"));
        try (var file = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(16L << 20);
        }
        run("mkfs.ext4", "-q", "-F", "-m", "0", image.toString());
        run("mount", "-o", "loop", image.toString(), mount.toString());
        long committed = -1;
        byte[] parent = new byte[32];
        try {
            Path dir = mount.resolve("chain");
            ChainStore.StoreException full;
            try (ChainStore store = ChainStore.open(dir)) {
                full = assertThrows(ChainStore.StoreException.class, () -> {
                    long number = 0;
                    byte[] p = new byte[32];
                    while (number < 10_000) {
                        BlockHeader h = header(number, p);
                        store.commit(new Block(h, List.of()), List.of(), diff(number));
                        p = h.hash();
                        number++;
                    }
                });
                committed = store.headNumber().orElse(-1);
                parent = store.header(committed).orElseThrow().hash();
                // Still full: the next commit fails too, and the head does not move.
                byte[] p = parent;
                long next = committed + 1;
                assertThrows(ChainStore.StoreException.class,
                        () -> store.commit(new Block(header(next, p), List.of()), List.of(), diff(next)));
                assertEquals(committed, store.headNumber().orElse(-1));
            } catch (ChainStore.StoreException closing) {
                // closing a store whose disk is full may fail to flush; what was committed is in the WAL
                full = closing;
            }
            assertNotNull(full);
            assertTrue(committed >= 1, "some blocks fit before the volume filled: " + committed);
            System.out.println("{\"test\":\"disk-full\",\"blocksCommitted\":" + committed + "}");
            assertTrue(String.valueOf(full.getCause()).contains("No space left") || String.valueOf(full.getCause()).contains("IO error"),
                    "the failure names the disk: " + full.getCause());

            // The same store, copied where there is room: every committed block and its state are there.
            Path copy = tmp.resolve("copy");
            copyTree(dir, copy);
            try (ChainStore store = ChainStore.open(copy)) {
                assertEquals(committed, store.headNumber().getAsLong());
                for (long n = 0; n <= committed; n++) {
                    assertTrue(store.header(n).isPresent(), "block " + n);
                }
                InMemoryWorldState state = new InMemoryWorldState();
                store.loadState(state);
                assertEquals(Word.of(committed), state.storage(CONTRACT, Word.of(0)));
                assertEquals(value(committed, 1), state.storage(CONTRACT, Word.of(1)));
                assertEquals(value(committed, SLOTS_PER_BLOCK), state.storage(CONTRACT, Word.of(SLOTS_PER_BLOCK)));
            }
        } finally {
            run("umount", mount.toString());
        }
    }

    /** 32 bytes that do not compress, unique to a block and slot. */
    private static Word value(long number, int slot) {
        java.util.Random random = new java.util.Random(number * 1_000_003L + slot);
        byte[] b = new byte[32];
        random.nextBytes(b);
        b[0] |= 1;
        return Word.fromBytes(b);
    }

    /** A block's state changes: slot 0 holds the block number, slots 1.. hold values unique to the block. */
    private static StateDiff diff(long number) {
        Map<Word, Word> slots = new HashMap<>();
        slots.put(Word.of(0), Word.of(number));
        for (int i = 1; i <= SLOTS_PER_BLOCK; i++) {
            slots.put(Word.of(i), value(number, i));
        }
        Map<Address, Account> accounts = Map.of(CONTRACT, Account.of(1, Word.ZERO, new byte[] {0x60, 0x00}));
        return new StateDiff(accounts, Set.of(), Map.of(CONTRACT, slots));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
    }
}
