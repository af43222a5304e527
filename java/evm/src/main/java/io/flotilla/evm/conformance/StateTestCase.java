package io.flotilla.evm.conformance;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One (data, gas, value) combination of a GeneralStateTests test for the Cancun fork.
 * {@code expected} is the post entry: hash, logs and optionally expectException.
 */
public record StateTestCase(String id, String folder, String testName, JsonNode test, JsonNode expected,
                            int dataIndex, int gasIndex, int valueIndex) {
}
