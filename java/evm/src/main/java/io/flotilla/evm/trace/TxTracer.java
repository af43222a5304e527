package io.flotilla.evm.trace;

import io.flotilla.evm.tx.TxExecution;
import io.flotilla.evm.vm.Tracer;

/** A tracer of one transaction that turns what it saw into the JSON value debug_trace* returns (maps, lists, strings). */
public interface TxTracer extends Tracer {
    /** The result for a transaction that was executed ({@code ex.outcome()} is Included) with its {@code gasLimit} and {@code gasUsed} (after refunds). */
    Object result(TxExecution ex, long gasLimit, long gasUsed);
}
