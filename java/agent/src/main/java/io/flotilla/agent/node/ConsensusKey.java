package io.flotilla.agent.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.agent.config.SettingsException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Wallet;
import org.web3j.crypto.WalletFile;

/**
 * The node's consensus key: what its subnodes sign votes with, registered on the NodeRegistry
 * (setConsensusKey) by the agent with the operator key, which itself never leaves the agent (docs/agent.md, "Keys").
 * The agent creates it on first start in {@code <dataDir>/keys/} (directory 0700, files 0600, owned by the agent's
 * user): a V3 keystore and its random password. Each subnode gets a copy of both in its /config.
 *
 * <p>The keystore uses light scrypt (N = 4096): its password lies next to it wherever it goes, so a stronger KDF would
 * protect nothing, and a subnode on 1/16 of a core with 224 MiB decrypts a standard (N = 2^18, 256 MiB) one slowly or
 * not at all.
 */
public final class ConsensusKey {

    public static final String KEYSTORE_FILE = "consensus-key.json";
    public static final String PASSWORD_FILE = "consensus-key.password";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Credentials credentials;
    private final byte[] keystore;
    private final byte[] password;

    private ConsensusKey(Credentials credentials, byte[] keystore, byte[] password) {
        this.credentials = credentials;
        this.keystore = keystore;
        this.password = password;
    }

    /** The key in {@code dataDir/keys}, created there first when there is none. */
    public static ConsensusKey loadOrCreate(Path dataDir) {
        Path dir = dataDir.resolve("keys");
        Path keystoreFile = dir.resolve(KEYSTORE_FILE);
        Path passwordFile = dir.resolve(PASSWORD_FILE);
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            if (!Files.exists(keystoreFile)) {
                // Password first, keystore last: a crash in between leaves no keystore, and the next start makes both.
                byte[] random = new byte[32];
                new SecureRandom().nextBytes(random);
                String password = HexFormat.of().formatHex(random);
                ECKeyPair pair = Keys.createEcKeyPair();
                WalletFile wallet = Wallet.createLight(password, pair);
                writeSecret(passwordFile, password.getBytes(StandardCharsets.UTF_8));
                writeSecret(keystoreFile, JSON.writeValueAsBytes(wallet));
            }
            byte[] password = Files.readAllBytes(passwordFile);
            byte[] keystore = Files.readAllBytes(keystoreFile);
            WalletFile wallet = JSON.readValue(keystore, WalletFile.class);
            Credentials credentials = Credentials.create(Wallet.decrypt(new String(password, StandardCharsets.UTF_8).strip(), wallet));
            return new ConsensusKey(credentials, keystore, password);
        } catch (Exception e) {
            throw new SettingsException("consensus key in " + dir + ": " + e.getMessage());
        }
    }

    private static void writeSecret(Path file, byte[] content) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(tmp, content);
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The key's address, lower case: what the NodeRegistry records and the members' configs name. */
    public String address() {
        return credentials.getAddress().toLowerCase();
    }

    public Credentials credentials() {
        return credentials;
    }

    /** The V3 keystore file's bytes, for a subnode's /config. */
    public byte[] keystore() {
        return keystore.clone();
    }

    /** The keystore's password file's bytes, for a subnode's /config. */
    public byte[] password() {
        return password.clone();
    }
}
