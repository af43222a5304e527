package io.flotilla.evm.conformance;

/** The verdict on one state-test case. */
public sealed interface CaseResult {
    record Passed() implements CaseResult {
    }

    record Failed(String reason) implements CaseResult {
    }

    record Skipped(String reason) implements CaseResult {
    }
}
