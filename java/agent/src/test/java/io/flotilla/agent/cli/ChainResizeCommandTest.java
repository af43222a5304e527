package io.flotilla.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flotilla.agent.it.TestNetwork;
import io.flotilla.manager.ChainInfo;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.ManagerException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.DefaultApplicationArguments;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.abi.datatypes.generated.Uint8;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;

/**
 * {@code ./flotilla chain resize NAME --type T} against a Hardhat node with the contracts deployed (no agents: the
 * command only talks to the contracts). A refusal is one line naming the problem or the contract's error.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChainResizeCommandTest {

    private TestNetwork network;
    private ManagerClient developer;
    private List<String> connection;

    @BeforeAll
    void start() throws Exception {
        network = TestNetwork.start();
        ManagerClient admin = network.client(TestNetwork.account(0));
        admin.transact("SidechainManager", new Function("setChainType", List.<Type>of(new Utf8String("dev4x16"), new Uint8(16),
                new Uint8(4), new Bool(true)), List.of()), BigInteger.ZERO);
        // Four nodes of four validators: enough for a dev4 chain.
        for (int i = 1; i <= 4; i++) {
            Credentials validatorKey = TestNetwork.account(10 + i);
            Credentials nodeKey = Credentials.create(Keys.createEcKeyPair());
            ManagerClient validator = network.client(validatorKey);
            validator.registerValidator("cli-validator-" + i, 100, network.ether(2));
            validator.linkNodeAddress(validator.validatorIdOf(validatorKey.getAddress()), nodeKey);
            validator.sendEther(nodeKey.getAddress(), network.ether(1));
            network.client(nodeKey).createNode("cli-node-" + i, "127.0.0." + (40 + i), 21000, "", 4000, 4096, 20);
        }
        Credentials owner = TestNetwork.account(9);
        developer = network.client(owner);
        Path key = Files.writeString(network.work.resolve("developer.key"), org.web3j.utils.Numeric.toHexStringNoPrefixZeroPadded(owner.getEcKeyPair().getPrivateKey(), 64));
        connection = List.of("--rpc-url", network.rpcUrl, "--address-book", network.bookFile.toString(), "--private-key-file", key.toString());
        developer.createSidechain("cli-chain", "dev4", Duration.ofDays(30), "bft", TestNetwork.STANDIN_VERSION);
    }

    @AfterAll
    void stop() {
        if (network != null) {
            network.close();
        }
    }

    @Test
    void resizesAChainAndPrintsWhatItPaid() throws Exception {
        long id = developer.chainIdOf("cli-chain");
        BigInteger before = developer.balance(TestNetwork.account(9).getAddress());
        String out = run("chain", "resize", "cli-chain", "--type", "dev4x16");
        ChainInfo chain = developer.chain(id);
        assertThat(chain.unitsPerNode()).isEqualTo(16);
        assertThat(chain.typeName()).isEqualTo("dev4x16");
        assertThat(out).contains("resized chain cli-chain (id " + id + ") from dev4 (4 nodes x 8 units) to dev4x16 (4 nodes x 16 units), paid about");
        // The difference for about 30 days: 8 more units on 4 nodes at 1 gwei per unit-second, 0.0829 ETH, plus gas.
        BigInteger spent = before.subtract(developer.balance(TestNetwork.account(9).getAddress()));
        assertThat(spent).isBetween(new BigInteger("82900000000000000"), new BigInteger("85000000000000000"));

        // Back to dev4: a refund, applied at once.
        String back = run("chain", "resize", "cli-chain", "--type", "dev4");
        assertThat(back).contains("to dev4 (4 nodes x 8 units), refunded about");
        assertThat(developer.chain(id).unitsPerNode()).isEqualTo(8);
    }

    @Test
    void refusalsAreOneLineNamingTheProblem() {
        assertThatThrownBy(() -> run("chain", "resize", "cli-chain")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("chain resize needs --type (e.g. --type dev4)");
        assertThatThrownBy(() -> run("chain", "resize", "no-such-chain", "--type", "dev4"))
                .hasMessage("no chain named 'no-such-chain' (see ./flotilla chain list)");
        assertThatThrownBy(() -> run("chain", "resize", "cli-chain", "--type", "huge"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("unknown chain type 'huge' (types: ");
        // The contract's refusal, by name, before anything is sent.
        assertThatThrownBy(() -> run("chain", "resize", "cli-chain", "--type", "dev4")).isInstanceOf(ManagerException.class)
                .hasMessageContaining("SameChainSize").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    private String run(String... words) throws Exception {
        List<String> args = new ArrayList<>(List.of(words));
        args.addAll(connection);
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            new ChainCommands().run(new DefaultApplicationArguments(args.toArray(String[]::new)));
        } finally {
            System.setOut(saved);
        }
        return captured.toString();
    }
}
