package io.flotilla.chain.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training run of the image's ahead-of-time cache: a real four-member chain in one process, checked at the end. */
class TrainingTest {

    @TempDir
    Path tmp;

    @Test
    void aTrainingRunCommitsEveryTransactionOnEveryMemberWithTheBalancesItImpliesAndLeavesNoFiles() throws Exception {
        Path dir = tmp.resolve("train");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // Training.run throws unless every member committed every transaction, holds the token balances the transfers
        // imply (checked slot by slot) and agrees on the head's hash.
        Training.Result r = Training.run(dir, 5, null, new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals(1 + Training.SENDERS + Training.SENDERS * 5, r.transactions());
        assertTrue(r.head() >= 2, "the load took blocks: head " + r.head());
        assertFalse(Files.exists(dir), "the training chain's stores are removed");
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("senders funded"), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void badTrainingArgumentsGetAUsageErrorAndExitCode2() {
        assertEquals(2, Main.train(new String[] {"--train"}));
        assertEquals(2, Main.train(new String[] {"--train", tmp.toString(), "many"}));
        assertEquals(2, Main.train(new String[] {"--train", tmp.toString(), "0"}));
    }
}
