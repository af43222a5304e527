package io.flotilla.evm.precompile;

import ethereum.ckzg4844.CKZG4844JNI;
import io.flotilla.evm.types.Hex;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The C-KZG-4844 library (JNI) with the Ethereum mainnet trusted setup, loaded once on first use.
 *
 * <p>The JNI library is looked up on {@code java.library.path} first (the subnode image extracts it ahead of time
 * into /opt/flotilla/native, since its /tmp is noexec); elsewhere the library's own loader copies it out of
 * the jar into a temporary directory. The setup comes from the classpath resource {@code /trusted_setup.txt}
 * (shipped by org.web3j:crypto) and is handed over as bytes, so nothing is written to disk; its [τ]G2, the only
 * setup point that proof verification uses, must equal the ceremony's.
 */
final class Kzg {
    static final int FIELD_ELEMENTS_PER_BLOB = 4096;
    private static final int G2_POINTS = 65;
    private static final String SETUP_RESOURCE = "/trusted_setup.txt";
    /** [τ]G2 from the KZG ceremony, compressed: the setup file must agree. */
    static final String SETUP_G2_TAU = "b5bfd7dd8cdeb128843bc287230af38926187075cbfbefa81009a2ce615ac53d"
            + "2914e5870cb452d2afaaab24f3499f72185cbfee53492714734429b7b38608e23926c911cceceac9a36851477ba4c60b"
            + "087041de621000edc98edada20c1def2";
    private static final String LIBRARY = "ckzg4844jni";

    static {
        loadNativeLibrary();
        loadMainnetSetup();
    }

    private Kzg() {
    }

    /** Forces loading (the library and setup take a few hundred milliseconds): call at start-up to keep it off the first block. */
    static void init() {
        // the static initializer did the work
    }

    /** True when the proof shows that the polynomial committed to takes the value y at z; false for any invalid input. */
    static boolean verifyProof(byte[] commitment, byte[] z, byte[] y, byte[] proof) {
        try {
            return CKZG4844JNI.verifyKzgProof(commitment, z, y, proof);
        } catch (ethereum.ckzg4844.CKZGException e) {
            return false; // bad point encoding, point not in G1, field element not canonical
        }
    }

    private static void loadNativeLibrary() {
        try {
            System.loadLibrary(LIBRARY);
        } catch (UnsatisfiedLinkError notOnLibraryPath) {
            CKZG4844JNI.loadNativeLibrary();
        }
    }

    private static void loadMainnetSetup() {
        InputStream in = Kzg.class.getResourceAsStream(SETUP_RESOURCE);
        if (in == null) throw new IllegalStateException("KZG trusted setup " + SETUP_RESOURCE + " is not on the classpath");
        byte[] g1Lagrange = new byte[FIELD_ELEMENTS_PER_BLOB * 48];
        byte[] g2Monomial = new byte[G2_POINTS * 96];
        byte[] g1Monomial = new byte[FIELD_ELEMENTS_PER_BLOB * 48];
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            if (Integer.parseInt(r.readLine().trim()) != FIELD_ELEMENTS_PER_BLOB || Integer.parseInt(r.readLine().trim()) != G2_POINTS) {
                throw new IllegalStateException("KZG trusted setup: unexpected point counts");
            }
            readPoints(r, g1Lagrange, 48);
            readPoints(r, g2Monomial, 96);
            readPoints(r, g1Monomial, 48);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] tau = java.util.Arrays.copyOfRange(g2Monomial, 96, 192);
        if (!Hex.encode(tau).equals("0x" + SETUP_G2_TAU)) {
            throw new IllegalStateException("KZG trusted setup: [τ]G2 is not the Ethereum ceremony's");
        }
        CKZG4844JNI.loadTrustedSetup(g1Monomial, g1Lagrange, g2Monomial, 0);
    }

    private static void readPoints(BufferedReader r, byte[] out, int size) throws IOException {
        for (int off = 0; off < out.length; off += size) {
            String line = r.readLine();
            if (line == null) throw new IllegalStateException("KZG trusted setup: truncated");
            byte[] point = Hex.decode(line.trim());
            if (point.length != size) throw new IllegalStateException("KZG trusted setup: bad point length");
            System.arraycopy(point, 0, out, off, size);
        }
    }
}
