package io.flotilla.evm.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.evm.types.Word;
import org.junit.jupiter.api.Test;

/** Operand stacks: one per call depth, starting small and growing on demand up to 1024 words. */
class OperandStackTest {
    @Test
    void aStackStartsWithSixtyFourWords() {
        EvmHarness h = new EvmHarness();
        assertEquals(Evm.INITIAL_STACK_WORDS * 4, h.evm.stackFor(0).length);
        assertEquals(Evm.INITIAL_STACK_WORDS * 4, h.evm.stackFor(Gas.DEPTH_LIMIT).length);
    }

    @Test
    void valuesSurviveTheStackGrowing() {
        // PUSH2 1..300 crosses 64, 128 and 256 words; 299 ADDs then sum them: 300 * 301 / 2
        StringBuilder code = new StringBuilder();
        for (int i = 1; i <= 300; i++) code.append(String.format("61%04x", i));
        code.append("01".repeat(299));
        EvmHarness h = new EvmHarness();
        assertEquals(Word.of(45150), h.eval(code.toString()));
        assertEquals(512 * 4, h.evm.stackFor(0).length, "doubled to the next power of two");
    }

    @Test
    void aStackGrowsToExactlyTheLimitAndNoFurther() {
        EvmHarness h = new EvmHarness();
        FrameResult full = h.call("5f".repeat(Gas.STACK_LIMIT), 1_000_000);
        assertTrue(full.success());
        assertEquals(Gas.STACK_LIMIT * 4, h.evm.stackFor(0).length);
        FrameResult over = new EvmHarness().call("5f".repeat(Gas.STACK_LIMIT + 1), 1_000_000);
        assertEquals(HaltReason.STACK_OVERFLOW, over.error());
        assertEquals(0, over.gasLeft());
    }

    @Test
    void dupAtTheFullStackOverflowsButSwapDoesNot() {
        String full = "5f".repeat(Gas.STACK_LIMIT);
        assertEquals(HaltReason.STACK_OVERFLOW, new EvmHarness().call(full + "80", 1_000_000).error());
        assertTrue(new EvmHarness().call(full + "90", 1_000_000).success());
    }

    @Test
    void aGrownStackIsReusedByLaterFramesAtTheSameDepth() {
        EvmHarness h = new EvmHarness();
        h.call("5f".repeat(100), 1_000_000);
        long[] grown = h.evm.stackFor(0);
        assertEquals(128 * 4, grown.length);
        h.call("5f", 1_000_000);
        assertSame(grown, h.evm.stackFor(0));
    }

    @Test
    void nestedFramesGrowTheirOwnDepthsStack() {
        // the caller pushes 70 words, then calls a callee that pushes 200: depth 0 has 128 words, depth 1 has 256
        EvmHarness h = new EvmHarness().deploy(io.flotilla.evm.types.Address.fromHex("0xcafe"), "5f".repeat(200));
        String code = "5f".repeat(70) + "6000600060006000600061cafe5af1";
        assertTrue(h.call(code, 1_000_000).success());
        assertEquals(128 * 4, h.evm.stackFor(0).length);
        assertEquals(256 * 4, h.evm.stackFor(1).length);
    }
}
