package io.flotilla.evm.tx;

import io.flotilla.evm.state.Log;
import java.util.List;

/** The result of an included transaction. {@code gasUsed} is after refunds. */
public record Receipt(int type, boolean success, long gasUsed, List<Log> logs, byte[] bloom) {
}
