package io.flotilla.evm.precompile;

import io.flotilla.evm.types.Address;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The Cancun precompile set at addresses 0x01..0x0a. */
public final class Precompiles {
    private final Precompile[] byAddress = new Precompile[11];

    private Precompiles() {
    }

    public static Precompiles cancun() {
        Precompiles p = new Precompiles();
        p.byAddress[1] = new EcRecover();
        p.byAddress[2] = new Sha256();
        p.byAddress[3] = new Ripemd160();
        p.byAddress[4] = new Identity();
        p.byAddress[5] = new ModExp();
        p.byAddress[6] = new Bn254Add();
        p.byAddress[7] = new Bn254Mul();
        p.byAddress[8] = new Bn254Pairing();
        p.byAddress[9] = new Blake2f();
        p.byAddress[10] = new PointEvaluation();
        return p;
    }

    /** The precompile at an address, or null. */
    public Precompile get(Address a) {
        int v = a.smallValue();
        return v > 0 && v < byAddress.length ? byAddress[v] : null;
    }

    /** Addresses that start every transaction warm (EIP-2929). */
    public List<Address> addresses() {
        List<Address> out = new ArrayList<>();
        for (int i = 1; i < byAddress.length; i++) if (byAddress[i] != null) out.add(Address.precompile(i));
        return Collections.unmodifiableList(out);
    }

    /** Right-pads (or truncates) input to n bytes, as precompiles read missing bytes as zero. */
    static byte[] padded(byte[] in, int n) {
        byte[] out = new byte[n];
        System.arraycopy(in, 0, out, 0, Math.min(n, in.length));
        return out;
    }

    static long words(int len) {
        return (len + 31L) / 32;
    }
}
