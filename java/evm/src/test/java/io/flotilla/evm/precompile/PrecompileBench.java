package io.flotilla.evm.precompile;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Throughput of every precompile on representative and worst-case inputs; one JSON line per case:
 * {"bench":"precompile","name":...,"gas":...,"us_per_call":...,"mgas_per_s":...}.
 *
 * <p>Run from java/evm after test-compile:
 * {@code java -cp target/classes:target/test-classes:$(cat /tmp/evm.cp) io.flotilla.evm.precompile.PrecompileBench [seconds] [filter]}
 * (the classpath file as in README "Conformance runner"). Each case is warmed up (JIT) for the given time
 * (default 2 s), then timed for the same time; the result must not be null (a failing input is no benchmark).
 * us_per_call is the benchmark thread's CPU time per call (other processes on a shared machine inflate wall time,
 * reported as wall_us_per_call); mgas_per_s is derived from it.
 */
public final class PrecompileBench {
    static final String G1 = "0000000000000000000000000000000000000000000000000000000000000001"
            + "0000000000000000000000000000000000000000000000000000000000000002";
    static final String TWO_G1 = "030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3"
            + "15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4";
    static final String MINUS_G1 = "0000000000000000000000000000000000000000000000000000000000000001"
            + "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd45";
    static final String G2 = "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2"
            + "1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed"
            + "090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b"
            + "12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa";
    /** A correct proof from the execution-spec tests (verify_kzg_proof_case_correct_proof_1ce8e4f69d5df899): z = r - 1, y = 0. */
    static final String KZG_VALID = "01ad7666ef9d8f53b5adf54f029b13b6f171b1d0bd346a2ede315d3e243484ef"
            + "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000"
            + "0000000000000000000000000000000000000000000000000000000000000000"
            + "93efc82d2017e9c57834a1246463e64774e56183bb247c8fc9dd98c56817e878d97b05f5c8d900acf1fbbbca6f146556"
            + "92c51ff81dd71dab71cefecd79e8274b4b7ba36a0f40e2dc086bc4061c7f63249877db23297212991fd63e07b7ebc348";
    static final String ECRECOVER = "38d18acb67d25c8bb9942764b62f18e17054f66a817bd4295423adf9ed98873e"
            + "000000000000000000000000000000000000000000000000000000000000001b"
            + "38d18acb67d25c8bb9942764b62f18e17054f66a817bd4295423adf9ed98873e"
            + "789d1dd423d25f0772d2748d60f7e4b81bb14d086eba8e8e8efb6dcff8a4ae02";
    static final String BLAKE2F_STATE = "48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d182e6ad7f520e511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b"
            + "6162630000000000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000000000000"
            + "0300000000000000000000000000000001";

    record Case(String name, int address, byte[] input) {
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("ECRECOVER", 1, Hex.decode(ECRECOVER)));
        c.add(new Case("SHA256_1KiB", 2, filled(1024)));
        c.add(new Case("RIPEMD160_1KiB", 3, filled(1024)));
        c.add(new Case("IDENTITY_1KiB", 4, filled(1024)));
        // base 32 B, exponent 32 B of ones, modulus 32 B (odd)
        c.add(new Case("MODEXP_32B_exp256bit", 5, modexp(32, "ff".repeat(32), 32)));
        // RSA-2048 verification: exponent 65537
        c.add(new Case("MODEXP_256B_exp65537", 5, modexp(256, "010001", 256)));
        // 2048-bit base, exponent and modulus
        c.add(new Case("MODEXP_256B_exp2048bit", 5, modexp(256, "ff".repeat(256), 256)));
        c.add(new Case("ECADD", 6, Hex.decode(G1 + TWO_G1)));
        c.add(new Case("ECMUL_2^256-1", 7, Hex.decode(G1 + "ff".repeat(32))));
        c.add(new Case("ECPAIRING_1", 8, Hex.decode(G1 + G2)));
        c.add(new Case("ECPAIRING_2", 8, Hex.decode(G1 + G2 + MINUS_G1 + G2)));
        c.add(new Case("ECPAIRING_10", 8, Hex.decode((G1 + G2 + MINUS_G1 + G2).repeat(5))));
        c.add(new Case("BLAKE2F_12", 9, Hex.decode("0000000c" + BLAKE2F_STATE)));
        c.add(new Case("BLAKE2F_1e6", 9, Hex.decode("000f4240" + BLAKE2F_STATE)));
        c.add(new Case("POINT_EVALUATION", 10, Hex.decode(KZG_VALID)));
        return c;
    }

    private static byte[] filled(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + 7);
        return b;
    }

    private static byte[] modexp(int baseLen, String exponentHex, int modLen) {
        byte[] e = Hex.decode(exponentHex);
        byte[] in = new byte[96 + baseLen + e.length + modLen];
        in[31] = (byte) baseLen;
        in[30] = (byte) (baseLen >> 8);
        in[63] = (byte) e.length;
        in[62] = (byte) (e.length >> 8);
        in[95] = (byte) modLen;
        in[94] = (byte) (modLen >> 8);
        for (int i = 0; i < baseLen; i++) in[96 + i] = (byte) (i * 13 + 5);
        System.arraycopy(e, 0, in, 96 + baseLen, e.length);
        for (int i = 0; i < modLen; i++) in[96 + baseLen + e.length + i] = (byte) (0xA7 ^ i * 29);
        in[in.length - 1] |= 1;
        in[96 + baseLen + e.length] |= (byte) 0x80;
        return in;
    }

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
        String filter = args.length > 1 ? args[1] : "";
        Precompiles all = Precompiles.cancun();
        for (Case c : cases()) {
            if (!c.name().contains(filter)) continue;
            Precompile p = all.get(Address.precompile(c.address()));
            long gas = p.gas(c.input());
            if (p.run(c.input()) == null) throw new IllegalStateException(c.name() + ": the input fails");
            run(p, c.input(), seconds); // warm-up
            double[] us = run(p, c.input(), seconds);
            System.out.println(String.format(Locale.ROOT,
                    "{\"bench\":\"precompile\",\"name\":\"%s\",\"gas\":%d,\"us_per_call\":%.3f,\"mgas_per_s\":%.2f,\"wall_us_per_call\":%.3f}",
                    c.name(), gas, us[0], gas / us[0], us[1]));
        }
    }

    static volatile int sink;

    /** CPU and wall microseconds per call over at least the given CPU time (and at least 3 calls). */
    private static double[] run(Precompile p, byte[] input, double seconds) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long budget = (long) (seconds * 1e9);
        long start = System.nanoTime();
        long cpuStart = mx.getCurrentThreadCpuTime();
        long calls = 0;
        long cpu;
        do {
            for (int i = 0; i < 16; i++) {
                byte[] out = p.run(input);
                sink += out.length;
                calls++;
            }
            cpu = mx.getCurrentThreadCpuTime() - cpuStart;
        } while (cpu < budget || calls < 3);
        return new double[] {cpu / 1e3 / calls, (System.nanoTime() - start) / 1e3 / calls};
    }
}
