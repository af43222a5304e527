package io.flotilla.agent.cli;

import io.flotilla.agent.config.AgentSettings;
import io.flotilla.agent.config.SettingsException;
import io.flotilla.agent.config.SettingsValidator;
import io.flotilla.agent.node.HostCapacity;
import io.flotilla.agent.node.NodeKey;
import io.flotilla.manager.AddressBook;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.NodeChain;
import io.flotilla.manager.NodeInfo;
import io.flotilla.manager.NodeStatus;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.boot.autoconfigure.condition.ConditionalOnNotWebApplication;
import org.springframework.stereotype.Component;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Convert;

/**
 * Operator commands, run as {@code ./flotilla node <command>}:
 * <pre>
 *   node register --name N --validator-keystore F --validator-password-file F [--validator-name V]
 *                 [--stake ETH] [--fund ETH] [--domain D]
 *   node maintenance on|off
 *   node exit
 *   node status
 *   node keygen --keystore F --password-file F     (a new node key in an encrypted keystore)
 * </pre>
 * The node key, manager endpoint, IP, base port and capacity come from the agent settings.
 */
@Component
@ConditionalOnNotWebApplication
class NodeCommands implements ApplicationRunner, ExitCodeGenerator {

    private final AgentSettings settings;
    private int exitCode;

    NodeCommands(AgentSettings settings) {
        this.settings = settings;
    }

    @Override
    public void run(ApplicationArguments args) {
        List<String> words = words(args);
        if (words.isEmpty() || !words.get(0).equals("node")) {
            return; // another command (chain, devnet)
        }
        if (words.size() < 2) {
            throw new IllegalArgumentException("usage: node register|maintenance on|off|exit|status");
        }
        if (words.get(1).equals("keygen")) {
            keygen(args);
            return;
        }
        SettingsValidator.validateManagerAccess(settings);
        Credentials nodeKey = NodeKey.load(settings.keystore(), settings.passwordFile());
        Web3j web3j = Web3j.build(new HttpService(settings.managerRpcUrl()));
        try {
            AddressBook book = AddressBook.read(settings.addressBook());
            ManagerClient node = new ManagerClient(web3j, nodeKey, book);
            switch (words.get(1)) {
                case "register" -> register(args, web3j, book, node, nodeKey);
                case "maintenance" -> maintenance(words, node);
                case "exit" -> exit(node);
                case "status" -> status(node);
                default -> throw new IllegalArgumentException("unknown node command '" + words.get(1) + "'");
            }
        } finally {
            web3j.shutdown();
        }
    }

    private void register(ApplicationArguments args, Web3j web3j, AddressBook book, ManagerClient node, Credentials nodeKey) {
        SettingsValidator.validateEndpoint(settings);
        String name = option(args, "name").orElseThrow(() -> new IllegalArgumentException("node register needs --name"));
        Path validatorKeystore = Path.of(option(args, "validator-keystore")
                .orElseThrow(() -> new IllegalArgumentException("node register needs --validator-keystore")));
        Path validatorPassword = Path.of(option(args, "validator-password-file")
                .orElseThrow(() -> new IllegalArgumentException("node register needs --validator-password-file")));
        Credentials validatorKey = NodeKey.load(validatorKeystore, validatorPassword);
        ManagerClient validator = new ManagerClient(web3j, validatorKey, book);

        if (node.nodeByAddress(nodeKey.getAddress()).isPresent()) {
            throw new IllegalArgumentException("node " + nodeKey.getAddress() + " is already registered (see ./flotilla node status)");
        }
        long validatorId = validator.validatorIdOf(validatorKey.getAddress());
        if (validatorId == 0) {
            BigInteger stake = eth(option(args, "stake").orElse("1"));
            validator.registerValidator(option(args, "validator-name").orElse(name + "-validator"), 0, stake);
            validatorId = validator.validatorIdOf(validatorKey.getAddress());
            System.out.println("registered validator " + validatorId + " with stake " + Convert.fromWei(new BigDecimal(stake), Convert.Unit.ETHER) + " ETH");
        }
        if (validator.validatorOfNodeAddress(nodeKey.getAddress()) == 0) {
            validator.linkNodeAddress(validatorId, nodeKey);
            System.out.println("linked node address " + nodeKey.getAddress() + " to validator " + validatorId);
        }
        BigInteger fund = eth(option(args, "fund").orElse("1"));
        if (node.balance(nodeKey.getAddress()).compareTo(fund.divide(BigInteger.TEN)) < 0 && fund.signum() > 0) {
            validator.sendEther(nodeKey.getAddress(), fund);
            System.out.println("funded node address with " + Convert.fromWei(new BigDecimal(fund), Convert.Unit.ETHER) + " ETH for gas");
        }
        AgentSettings.Capacity capacity = HostCapacity.resolve(settings.capacity(), settings.dataDir());
        long nodeId = node.createNode(name, settings.ip(), settings.basePort(), option(args, "domain").orElse(""),
                capacity.cpuMillicores(), capacity.memoryMiB(), capacity.diskGiB());
        System.out.println("registered node " + nodeId + " (" + name + ", " + settings.ip() + ":" + settings.basePort() + ", "
                + capacity.cpuMillicores() + " millicores, " + capacity.memoryMiB() + " MiB, " + capacity.diskGiB() + " GiB)");
        // The key its subnodes sign with: created in the agent's data directory, registered now so that chains placed
        // on the node name it from the start (the agent would register it on its first pass otherwise).
        io.flotilla.agent.node.ConsensusKey consensus = io.flotilla.agent.node.ConsensusKey.loadOrCreate(settings.dataDir());
        node.setConsensusKey(nodeId, consensus.credentials());
        System.out.println("consensus key " + consensus.address() + " registered (kept in " + settings.dataDir().resolve("keys") + ")");
    }

    private void keygen(ApplicationArguments args) {
        Path keystore = Path.of(option(args, "keystore").orElseThrow(() -> new IllegalArgumentException("node keygen needs --keystore")));
        Path passwordFile = Path.of(option(args, "password-file")
                .orElseThrow(() -> new IllegalArgumentException("node keygen needs --password-file")));
        if (java.nio.file.Files.exists(keystore)) {
            throw new IllegalArgumentException("refusing to overwrite " + keystore);
        }
        try {
            String password = java.nio.file.Files.exists(passwordFile)
                    ? java.nio.file.Files.readString(passwordFile).strip()
                    : java.util.HexFormat.of().formatHex(java.security.SecureRandom.getInstanceStrong().generateSeed(16));
            if (!java.nio.file.Files.exists(passwordFile)) {
                java.nio.file.Files.writeString(passwordFile, password + "\n");
                java.nio.file.Files.setPosixFilePermissions(passwordFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            }
            org.web3j.crypto.ECKeyPair pair = org.web3j.crypto.Keys.createEcKeyPair();
            // The operator key never leaves the agent (subnodes get a consensus key of their own), so its keystore uses
            // the standard V3 scrypt strength (N = 2^18, 256 MiB to decrypt).
            org.web3j.crypto.WalletFile wallet = org.web3j.crypto.Wallet.createStandard(password, pair);
            java.nio.file.Files.writeString(keystore, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(wallet));
            java.nio.file.Files.setPosixFilePermissions(keystore, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            System.out.println("node key 0x" + wallet.getAddress() + " written to " + keystore);
        } catch (Exception e) {
            throw new IllegalArgumentException("node keygen: " + e.getMessage());
        }
    }

    private void maintenance(List<String> words, ManagerClient node) {
        if (words.size() != 3 || !(words.get(2).equals("on") || words.get(2).equals("off"))) {
            throw new IllegalArgumentException("usage: node maintenance on|off");
        }
        NodeInfo me = myNode(node);
        node.setMaintenance(me.id(), words.get(2).equals("on"));
        System.out.println("node " + me.id() + ": maintenance " + words.get(2));
    }

    private void exit(ManagerClient node) {
        NodeInfo me = myNode(node);
        if (me.status() == NodeStatus.ACTIVE || me.status() == NodeStatus.IN_MAINTENANCE) {
            node.initiateExit(me.id());
        }
        // Each exit rotation is requested, then finalized from a later block (see ChainDuties), as the agent does.
        io.flotilla.agent.reconcile.ChainDuties duties = new io.flotilla.agent.reconcile.ChainDuties(node);
        java.time.Instant deadline = java.time.Instant.now().plus(java.time.Duration.ofMinutes(10));
        NodeInfo current = node.node(me.id());
        while (current.status() == NodeStatus.LEAVING) {
            if (duties.perform(current).isEmpty()) {
                if (java.time.Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("node " + me.id() + " is still leaving after 10 minutes: some chain finds no"
                            + " replacement (see node status); run ./flotilla node exit again later");
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            current = node.node(me.id());
        }
        System.out.println("node " + me.id() + ": left; its subnodes serve until each rotation's finishAt");
    }

    private void status(ManagerClient node) {
        NodeInfo me = myNode(node);
        System.out.println("node " + me.id() + " " + me.name() + " " + me.ip() + ":" + me.basePort() + " status " + me.status()
                + (me.incompliant() ? " INCOMPLIANT" : "") + ", free units " + me.freeUnits() + "/128, validator " + me.validatorId());
        for (NodeChain c : node.chainsOfNode(me.id())) {
            System.out.println("  chain " + c.chainId() + " " + c.name() + " slot " + c.slot() + " units " + c.unitsPerNode()
                    + " image " + c.imageVersion());
        }
    }

    private NodeInfo myNode(ManagerClient node) {
        return node.nodeByAddress(node.account())
                .orElseThrow(() -> new SettingsException("no node is registered for " + node.account() + " (run ./flotilla node register)"));
    }

    private static Optional<String> option(ApplicationArguments args, String name) {
        return new CliArgs(args, Set.of()).option(name);
    }

    private static List<String> words(ApplicationArguments args) {
        return new CliArgs(args, Set.of()).words();
    }

    private static BigInteger eth(String amount) {
        try {
            return Convert.toWei(new BigDecimal(amount), Convert.Unit.ETHER).toBigIntegerExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("not an ETH amount: " + amount);
        }
    }

    @Override
    public int getExitCode() {
        return exitCode;
    }
}
