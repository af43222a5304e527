package io.flotilla.evm.crypto;

import fr.acinq.secp256k1.Secp256k1CFunctions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Public-key recovery by libsecp256k1 through ACINQ's JNI bindings: about 80 microseconds per recovery from the first
 * call, where Bouncy Castle takes 600-900 before the JIT's optimizing compiler has compiled it and 160-250 after
 * (measured, docs/benchmarks.md). Every member recovers the sender of every transaction, so this is the largest
 * per-transaction cost of a chain.
 *
 * <p>The library is loaded from {@code java.library.path} when it is there (the subnode image puts it in
 * /opt/flotilla/native), else copied out of the jar into a fresh private temporary directory. When neither works
 * (another OS or CPU), {@link #available()} is false and callers use Bouncy Castle.
 */
final class NativeSecp256k1 {
    private static final Logger LOG = Logger.getLogger(NativeSecp256k1.class.getName());
    private static final String LIBRARY = "secp256k1-jni";
    private static final String RESOURCE = "/fr/acinq/secp256k1/jni/native/linux-x86_64/libsecp256k1-jni.so";
    /** A verification context: read-only once created, so one serves every thread. 0 when the library is missing. */
    private static final long CONTEXT = createContext();

    private NativeSecp256k1() {
    }

    static boolean available() {
        return CONTEXT != 0;
    }

    /**
     * The 64-byte uncompressed public key (x || y) that signed {@code hash} with the compact signature {@code rs}
     * (r || s, 32 bytes each) and recovery id 0 or 1; null when no key did (r or s zero or not below the group order,
     * r not an x-coordinate of the curve). High s is accepted, as Ethereum's ECRECOVER does; transaction rules that
     * forbid it are checked by the caller.
     */
    static byte[] recover(byte[] hash, byte[] rs, int recId) {
        byte[] pub;
        try {
            pub = Secp256k1CFunctions.secp256k1_ecdsa_recover(CONTEXT, rs, hash, recId);
        } catch (RuntimeException invalid) { // Secp256k1Exception: the library found no key
            return null;
        }
        if (pub == null || pub.length != 65 || pub[0] != 4) {
            return null;
        }
        byte[] xy = new byte[64];
        System.arraycopy(pub, 1, xy, 0, 64);
        return xy;
    }

    private static long createContext() {
        if (!load()) {
            return 0;
        }
        try {
            return Secp256k1CFunctions.secp256k1_context_create(Secp256k1CFunctions.SECP256K1_CONTEXT_VERIFY);
        } catch (LinkageError e) {
            LOG.log(Level.WARNING, "libsecp256k1 loaded but unusable; recovering keys with Bouncy Castle", e);
            return 0;
        }
    }

    private static boolean load() {
        try {
            System.loadLibrary(LIBRARY);
            return true;
        } catch (UnsatisfiedLinkError notOnLibraryPath) {
            // copied out of the jar below
        }
        if (!"amd64".equals(System.getProperty("os.arch")) || !System.getProperty("os.name", "").startsWith("Linux")) {
            LOG.info("no libsecp256k1 for this platform; recovering keys with Bouncy Castle");
            return false;
        }
        try (InputStream in = NativeSecp256k1.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                LOG.warning("libsecp256k1 is not on the class path; recovering keys with Bouncy Castle");
                return false;
            }
            // A directory only this user can write to: nobody can swap the file between the copy and the load.
            Path dir = Files.createTempDirectory("flotilla-secp256k1");
            Path file = dir.resolve("lib" + LIBRARY + ".so");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toString());
            Files.delete(file); // the mapping stays valid
            Files.delete(dir);
            return true;
        } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
            LOG.log(Level.WARNING, "could not load libsecp256k1; recovering keys with Bouncy Castle", e);
            return false;
        }
    }
}
