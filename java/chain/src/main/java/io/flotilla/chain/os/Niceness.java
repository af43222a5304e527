package io.flotilla.chain.os;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Lowers the scheduling priority of the calling platform thread (its Linux nice value), so that under CPU contention
 * the threads that keep the chain going (consensus and execution) run before the ones any client can keep busy
 * (JSON-RPC processing, admission of gossiped transactions). Java's thread priorities are ignored on Linux unless
 * the JVM runs as root; raising one's own nice value needs no privilege. Elsewhere (or if libc cannot be reached)
 * it does nothing and says so.
 */
public final class Niceness {
    /** The nice value of threads doing work on behalf of clients and peers' transactions (CFS weight 335 against 1024). */
    public static final int CLIENT_WORK = 5;

    private static final int PRIO_PROCESS = 0;
    private static final Optional<MethodHandle[]> CALLS = link();

    private Niceness() {
    }

    private static Optional<MethodHandle[]> link() {
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            MethodHandle gettid = linker.downcallHandle(libc.find("gettid").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
            MethodHandle setpriority = linker.downcallHandle(libc.find("setpriority").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            return Optional.of(new MethodHandle[] {gettid, setpriority});
        } catch (Throwable e) {
            // Not Linux, native access refused, or no such symbols: threads keep the default priority.
            return Optional.empty();
        }
    }

    /** {@code work} run on a thread that first lowers itself to {@link #CLIENT_WORK} (for thread factories). */
    public static Runnable lowered(Runnable work) {
        return () -> {
            lowerCurrentThread(CLIENT_WORK);
            work.run();
        };
    }

    /**
     * Sets the calling thread's nice value to {@code nice} (0 to 19; only ever lowering the priority). Returns whether
     * it took effect. A virtual thread must not call it: it would change whichever carrier thread it runs on.
     */
    public static boolean lowerCurrentThread(int nice) {
        if (nice < 0 || nice > 19) throw new IllegalArgumentException("nice must be 0-19, got " + nice);
        if (Thread.currentThread().isVirtual() || CALLS.isEmpty()) return false;
        try {
            int tid = (int) CALLS.get()[0].invokeExact();
            return (int) CALLS.get()[1].invokeExact(PRIO_PROCESS, tid, nice) == 0;
        } catch (Throwable e) {
            return false;
        }
    }
}
