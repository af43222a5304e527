package io.flotilla.agent.node;

import io.flotilla.agent.config.SettingsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.web3j.crypto.exception.CipherException;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.WalletUtils;

/** The node key, read from an encrypted web3j (V3) keystore and a password file. */
public final class NodeKey {

    private NodeKey() {}

    public static Credentials load(Path keystore, Path passwordFile) {
        try {
            String password = Files.readString(passwordFile).strip();
            return WalletUtils.loadCredentials(password, keystore.toFile());
        } catch (CipherException e) {
            throw new SettingsException("setting flotilla.agent.keystore: cannot decrypt " + keystore + " with the password file (" + e.getMessage() + ")");
        } catch (IOException | RuntimeException e) {
            throw new SettingsException("setting flotilla.agent.keystore: cannot read " + keystore + " (" + e.getMessage() + ")");
        }
    }
}
