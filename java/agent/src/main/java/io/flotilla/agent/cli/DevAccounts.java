package io.flotilla.agent.cli;

import java.util.Optional;
import org.web3j.crypto.Bip32ECKeyPair;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.MnemonicUtils;

/**
 * The Hardhat node's development accounts: BIP-44 keys m/44'/60'/0'/0/i of the public mnemonic "test test ... junk",
 * each funded with 10,000 ETH at genesis. Development only: everybody knows these keys.
 * The devnet gives account 0 to the deployer (every admin role), 1..18 to validators and 19 to the developer.
 */
final class DevAccounts {

    static final String MNEMONIC = "test test test test test test test test test test test junk";
    static final int COUNT = 20;
    static final int DEVELOPER = 19;
    static final int MAX_VALIDATORS = 18;

    private static Bip32ECKeyPair master;

    private DevAccounts() {}

    static synchronized Credentials account(int i) {
        if (master == null) {
            master = Bip32ECKeyPair.generateKeyPair(MnemonicUtils.generateSeed(MNEMONIC, ""));
        }
        int hardened = Bip32ECKeyPair.HARDENED_BIT;
        return Credentials.create(Bip32ECKeyPair.deriveKeyPair(master, new int[] {44 | hardened, 60 | hardened, hardened, 0, i}));
    }

    /** The development account with {@code address}, if it is one of the twenty. */
    static Optional<Credentials> byAddress(String address) {
        for (int i = 0; i < COUNT; i++) {
            Credentials c = account(i);
            if (c.getAddress().equalsIgnoreCase(address)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    static String privateKeyHex(Credentials c) {
        return org.web3j.utils.Numeric.toHexStringWithPrefixZeroPadded(c.getEcKeyPair().getPrivateKey(), 64);
    }
}
