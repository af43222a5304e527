package io.flotilla.agent.cli;

import io.flotilla.agent.node.NodeKey;
import io.flotilla.manager.AddressBook;
import io.flotilla.manager.ManagerClient;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * Where the manager contracts are and who speaks to them, for the developer commands ({@code chain ...}) and the
 * devnet commands. Each setting is a flag, else an environment variable, else the devnet default:
 * <pre>
 *   --rpc-url URL            FLOTILLA_RPC_URL            http://127.0.0.1:8545
 *   --address-book FILE      FLOTILLA_ADDRESS_BOOK       deploy/deployments/31337.json
 *   --private-key-file FILE  FLOTILLA_PRIVATE_KEY_FILE   (the launcher passes the devnet developer's key)
 *   --keystore FILE          FLOTILLA_KEYSTORE           an encrypted V3 keystore instead of a raw key ...
 *   --password-file FILE     FLOTILLA_PASSWORD_FILE      ... and its password
 * </pre>
 * Opening checks that the endpoint answers, serves the chain id of the address book and holds the contracts, so a
 * stopped or restarted devnet is reported in one line instead of a failed call later.
 */
final class ManagerConnection implements AutoCloseable {

    static final String DEFAULT_RPC_URL = "http://127.0.0.1:8545";
    static final String DEFAULT_ADDRESS_BOOK = "deploy/deployments/31337.json";
    static final java.util.Set<String> OPTIONS =
            java.util.Set.of("rpc-url", "address-book", "private-key-file", "keystore", "password-file");

    final String rpcUrl;
    final Path addressBookFile;
    final Web3j web3j;
    final AddressBook book;
    final ManagerClient client;
    /** The key that signs writes; a throwaway key when none was given (reads only). */
    final Credentials key;
    final boolean hasKey;

    private ManagerConnection(String rpcUrl, Path addressBookFile, Web3j web3j, AddressBook book, Credentials key, boolean hasKey) {
        this.rpcUrl = rpcUrl;
        this.addressBookFile = addressBookFile;
        this.web3j = web3j;
        this.book = book;
        this.key = key;
        this.hasKey = hasKey;
        this.client = new ManagerClient(web3j, key, book);
    }

    static ManagerConnection open(CliArgs args) {
        String rpcUrl = args.option("rpc-url", "FLOTILLA_RPC_URL").orElse(DEFAULT_RPC_URL);
        if (!rpcUrl.matches("https?://.+")) {
            throw new IllegalArgumentException("--rpc-url: not an http(s) URL: " + rpcUrl);
        }
        Path bookFile = Path.of(args.option("address-book", "FLOTILLA_ADDRESS_BOOK").orElse(DEFAULT_ADDRESS_BOOK));
        if (!Files.isRegularFile(bookFile)) {
            throw new IllegalArgumentException("no address book at " + bookFile
                    + " (no devnet running? start one with ./flotilla devnet up, or pass --address-book FILE)");
        }
        AddressBook book = AddressBook.read(bookFile);
        Optional<Credentials> key = loadKey(args);
        Web3j web3j = Web3j.build(new HttpService(rpcUrl));
        try {
            long chainId;
            try {
                chainId = web3j.ethChainId().send().getChainId().longValueExact();
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("no Ethereum JSON-RPC answers at " + rpcUrl
                        + " (no devnet running? start one with ./flotilla devnet up, or pass --rpc-url URL)");
            }
            if (chainId != book.chainId()) {
                throw new IllegalArgumentException("address book " + bookFile + " is for chain id " + book.chainId() + " but " + rpcUrl
                        + " serves chain id " + chainId);
            }
            String manager = book.address(AddressBook.SIDECHAIN_MANAGER);
            String code = web3j.ethGetCode(manager, DefaultBlockParameterName.LATEST).send().getCode();
            if (code == null || code.equals("0x")) {
                throw new IllegalArgumentException("no SidechainManager at " + manager + " on " + rpcUrl + ": address book " + bookFile
                        + " is stale (was the devnet restarted? ./flotilla devnet down, then up)");
            }
        } catch (IOException e) {
            web3j.shutdown();
            throw new IllegalArgumentException("no Ethereum JSON-RPC answers at " + rpcUrl + ": " + e.getMessage());
        } catch (RuntimeException e) {
            web3j.shutdown();
            throw e;
        }
        return new ManagerConnection(rpcUrl, bookFile, web3j, book,
                key.orElseGet(ManagerConnection::throwawayKey), key.isPresent());
    }

    /** The developer key, from a raw private key file or an encrypted keystore; empty when none is given. */
    static Optional<Credentials> loadKey(CliArgs args) {
        Optional<String> raw = args.option("private-key-file", "FLOTILLA_PRIVATE_KEY_FILE");
        Optional<String> keystore = args.option("keystore", "FLOTILLA_KEYSTORE");
        if (raw.isPresent()) {
            Path file = Path.of(raw.get());
            try {
                String hex = Files.readString(file).strip();
                if (!hex.matches("(0x)?[0-9a-fA-F]{64}")) {
                    throw new IllegalArgumentException("--private-key-file " + file + ": not a 32-byte hex private key");
                }
                return Optional.of(Credentials.create(hex));
            } catch (IOException e) {
                throw new IllegalArgumentException("--private-key-file: cannot read " + file);
            }
        }
        if (keystore.isPresent()) {
            Path password = Path.of(args.option("password-file", "FLOTILLA_PASSWORD_FILE")
                    .orElseThrow(() -> new IllegalArgumentException("--keystore needs --password-file (or FLOTILLA_PASSWORD_FILE)")));
            return Optional.of(NodeKey.load(Path.of(keystore.get()), password));
        }
        return Optional.empty();
    }

    /** Refuses a write when no key was given. */
    void requireKey(String command) {
        if (!hasKey) {
            throw new IllegalArgumentException(command + " needs the developer's key: --private-key-file FILE, or --keystore FILE"
                    + " --password-file FILE (./flotilla chain passes the devnet developer's key while a devnet runs)");
        }
    }

    BigInteger balance() {
        return client.balance(key.getAddress());
    }

    private static Credentials throwawayKey() {
        try {
            return Credentials.create(Keys.createEcKeyPair());
        } catch (Exception e) {
            return Credentials.create(Numeric.toHexStringWithPrefixZeroPadded(BigInteger.ONE, 64));
        }
    }

    @Override
    public void close() {
        web3j.shutdown();
    }
}
