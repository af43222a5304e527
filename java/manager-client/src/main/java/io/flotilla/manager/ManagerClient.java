package io.flotilla.manager;

import io.flotilla.manager.contracts.ImageRegistry;
import io.flotilla.manager.contracts.NodeRegistry;
import io.flotilla.manager.contracts.SidechainManager;
import io.flotilla.manager.contracts.ValidatorRegistry;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.abi.datatypes.generated.Uint16;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.abi.datatypes.generated.Uint40;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Sign;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.gas.DefaultGasProvider;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;
import org.web3j.utils.Numeric;

/**
 * A typed facade over the manager contracts for one account: the reads an agent needs, each one call, and the
 * writes of validators, node operators and developers. Every write is simulated first, so a refusal comes back
 * as a {@link ManagerException} naming the contract's custom error, and nothing is sent.
 */
public final class ManagerClient {

    private static final BigInteger GAS_LIMIT = BigInteger.valueOf(9_000_000);

    private final Web3j web3j;
    private final Credentials credentials;
    private final AddressBook book;
    private final RawTransactionManager transactions;
    private final PollingTransactionReceiptProcessor receipts;
    private final RevertDecoder revertDecoder = new RevertDecoder();
    private final SidechainManager manager;
    private final NodeRegistry nodes;
    private final ImageRegistry images;
    private final ValidatorRegistry validators;

    public ManagerClient(Web3j web3j, Credentials credentials, AddressBook book) {
        this.web3j = web3j;
        this.credentials = credentials;
        this.book = book;
        this.transactions = new RawTransactionManager(web3j, credentials, book.chainId());
        this.receipts = new PollingTransactionReceiptProcessor(web3j, 100, 600);
        DefaultGasProvider gas = new DefaultGasProvider();
        this.manager = SidechainManager.load(book.address(AddressBook.SIDECHAIN_MANAGER), web3j, transactions, gas);
        this.nodes = NodeRegistry.load(book.address(AddressBook.NODE_REGISTRY), web3j, transactions, gas);
        this.images = ImageRegistry.load(book.address(AddressBook.IMAGE_REGISTRY), web3j, transactions, gas);
        this.validators = ValidatorRegistry.load(book.address(AddressBook.VALIDATOR_REGISTRY), web3j, transactions, gas);
    }

    public String account() {
        return credentials.getAddress();
    }

    public AddressBook addressBook() {
        return book;
    }

    // ------------------------------------------------------------------ reads

    public long blockNumber() {
        return call(() -> web3j.ethBlockNumber().send().getBlockNumber().longValueExact());
    }

    /** Timestamp of the latest block: the contracts' notion of now (it can run ahead of wall-clock time). */
    public Instant latestBlockTime() {
        return call(() -> Instant.ofEpochSecond(web3j.ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false).send()
                .getBlock().getTimestamp().longValueExact()));
    }

    public BigInteger balance(String address) {
        return call(() -> web3j.ethGetBalance(address, DefaultBlockParameterName.LATEST).send().getBalance());
    }

    /** The live node run from {@code address}, empty when none. */
    public Optional<NodeInfo> nodeByAddress(String address) {
        long id = call(() -> nodes.nodeIdOf(address).send()).longValueExact();
        return id == 0 ? Optional.empty() : Optional.of(node(id));
    }

    public NodeInfo node(long nodeId) {
        NodeRegistry.NodeView v = call(() -> nodes.getNode(BigInteger.valueOf(nodeId)).send());
        return new NodeInfo(
                v.id.longValueExact(),
                v.name,
                ipv4(v.ip),
                v.basePort.intValueExact(),
                v.nodeAddress,
                v.validatorId.longValueExact(),
                Numeric.toHexString(v.publicKey),
                v.domain,
                v.capacity.cpuMillicores.intValueExact(),
                v.capacity.memoryMiB.longValueExact(),
                v.capacity.diskGiB.longValueExact(),
                NodeStatus.of(v.status.intValueExact()),
                v.incompliant,
                v.freeUnits.intValueExact());
    }

    /** The chains node {@code nodeId} serves now, with its slot on each. */
    public List<NodeChain> chainsOfNode(long nodeId) {
        List<?> raw = call(() -> manager.chainsOfNode(BigInteger.valueOf(nodeId)).send());
        List<NodeChain> out = new ArrayList<>();
        for (Object o : raw) {
            SidechainManager.NodeChainView v = (SidechainManager.NodeChainView) o;
            out.add(new NodeChain(v.chainId.longValueExact(), v.name, v.slot.intValueExact(), v.unitsPerNode.intValueExact(), v.imageVersion));
        }
        return out;
    }

    public ChainInfo chain(long chainId) {
        SidechainManager.ChainView v = call(() -> manager.getChain(BigInteger.valueOf(chainId)).send());
        List<Long> members = new ArrayList<>();
        for (Object m : v.members) {
            members.add(((BigInteger) m).longValueExact());
        }
        return new ChainInfo(
                v.id.longValueExact(),
                v.name,
                v.owner,
                v.typeName,
                v.unitsPerNode.intValueExact(),
                ChainInfo.ChainStatus.values()[v.status.intValueExact()],
                Instant.ofEpochSecond(v.createdAt.longValueExact()),
                Instant.ofEpochSecond(v.expiresAt.longValueExact()),
                v.consensus,
                v.imageVersion,
                "sha256:" + Numeric.toHexStringNoPrefix(v.imageDigest),
                members);
    }

    public long chainIdOf(String name) {
        return call(() -> manager.chainIdOf(name).send()).longValueExact();
    }

    public List<Member> membersOf(long chainId) {
        List<?> raw = call(() -> manager.membersOf(BigInteger.valueOf(chainId)).send());
        List<BigInteger> ids = raw.stream().map(o -> ((SidechainManager.MemberView) o).nodeId).toList();
        List<?> keys = ids.isEmpty() ? List.of() : call(() -> nodes.consensusKeysOf(ids).send());
        List<Member> out = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            SidechainManager.MemberView v = (SidechainManager.MemberView) raw.get(i);
            out.add(new Member(v.nodeId.longValueExact(), v.nodeAddress, ipv4(v.ip), v.basePort.intValueExact(),
                    v.slot.intValueExact(), v.firstPort.intValueExact(), Numeric.toHexString(v.publicKey), String.valueOf(keys.get(i)).toLowerCase()));
        }
        return out;
    }

    /** Node {@code nodeId}'s consensus key ({@link Member#NO_KEY} while none is set). */
    public String consensusKeyOf(long nodeId) {
        return call(() -> nodes.consensusKeyOf(BigInteger.valueOf(nodeId)).send()).toLowerCase();
    }

    /** The draw pending on chain {@code chainId} (kind NONE when there is none). */
    public PendingDraw pendingDraw(long chainId) {
        SidechainManager.Draw d = call(() -> manager.pendingDraw(BigInteger.valueOf(chainId)).send());
        return new PendingDraw(chainId, PendingDraw.Kind.values()[d.kind.intValueExact()], d.seedBlock.longValueExact(),
                d.leavingNode.longValueExact());
    }

    public List<Rotation> rotationsOf(long chainId) {
        List<?> raw = call(() -> manager.rotationsOf(BigInteger.valueOf(chainId)).send());
        List<Rotation> out = new ArrayList<>();
        for (Object o : raw) {
            SidechainManager.Rotation v = (SidechainManager.Rotation) o;
            out.add(new Rotation(v.chainId.longValueExact(), v.leavingNode.longValueExact(), v.joiningNode.longValueExact(),
                    Instant.ofEpochSecond(v.startedAt.longValueExact()), Instant.ofEpochSecond(v.finishAt.longValueExact()),
                    Rotation.Reason.values()[v.reason.intValueExact()]));
        }
        return out;
    }

    /** Number of chains ever created; chain ids run from 1 to this number. */
    public long chainCount() {
        return call(() -> manager.chainCount().send()).longValueExact();
    }

    /** The chain named {@code name}, empty when no chain ever had that name. */
    public Optional<ChainInfo> chainByName(String name) {
        long id = chainIdOf(name);
        return id == 0 ? Optional.empty() : Optional.of(chain(id));
    }

    /** Every chain type ever configured, disabled ones included, in the order they were first set. */
    public List<ChainType> chainTypes() {
        List<?> names = call(() -> manager.chainTypeNames().send());
        List<ChainType> out = new ArrayList<>();
        for (Object o : names) {
            String name = o.toString();
            SidechainManager.ChainType t = call(() -> manager.chainType(name).send());
            out.add(new ChainType(name, t.unitsPerNode.intValueExact(), t.nodeCount.intValueExact(), t.enabled));
        }
        return out;
    }

    /** The most recently published image version of {@code component}; empty when none was published. */
    public Optional<String> latestImageVersion(String component) {
        String version = call(() -> images.latestVersion(component).send());
        return version == null || version.isEmpty() ? Optional.empty() : Optional.of(version);
    }

    /** The digest ("sha256:...") published for image {@code version}. */
    public String imageDigest(String version) {
        return "sha256:" + Numeric.toHexStringNoPrefix(call(() -> images.getVersion(version).send()).digest);
    }

    public BigInteger priceOf(String typeName, Duration lifetime) {
        return call(() -> manager.priceOf(typeName, BigInteger.valueOf(lifetime.toSeconds())).send());
    }

    public long validatorIdOf(String owner) {
        return call(() -> validators.validatorIdOf(owner).send()).longValueExact();
    }

    public long validatorOfNodeAddress(String nodeAddress) {
        return call(() -> validators.validatorOfNodeAddress(nodeAddress).send()).longValueExact();
    }

    /** The message a node key signs to be linked to {@code validatorId}. */
    public byte[] linkMessage(long validatorId) {
        return call(() -> validators.linkMessage(BigInteger.valueOf(validatorId)).send());
    }

    // ------------------------------------------------------------------ writes

    /** Registers the caller as a validator with {@code stakeWei} as first stake. */
    public TransactionReceipt registerValidator(String name, int commissionBps, BigInteger stakeWei) {
        return transact(AddressBook.VALIDATOR_REGISTRY, new Function("registerValidator",
                List.of(new Utf8String(name), new Uint16(commissionBps)), List.of()), stakeWei);
    }

    /** Links {@code nodeKey}'s address to the caller's validator, signing the link message with the node key. */
    public TransactionReceipt linkNodeAddress(long validatorId, Credentials nodeKey) {
        Sign.SignatureData sig = Sign.signPrefixedMessage(linkMessage(validatorId), nodeKey.getEcKeyPair());
        byte[] signature = new byte[65];
        System.arraycopy(sig.getR(), 0, signature, 0, 32);
        System.arraycopy(sig.getS(), 0, signature, 32, 32);
        signature[64] = sig.getV()[0];
        return transact(AddressBook.VALIDATOR_REGISTRY, new Function("linkNodeAddress",
                List.of(new Address(nodeKey.getAddress()), new DynamicBytes(signature)), List.of()), BigInteger.ZERO);
    }

    /** Creates a node from the caller's (linked) address; the public key is the caller's own. */
    public long createNode(String name, String ip, int basePort, String domain, int cpuMillicores, long memoryMiB, long diskGiB) {
        byte[] publicKey = Numeric.toBytesPadded(credentials.getEcKeyPair().getPublicKey(), 64);
        NodeRegistry.NodeParams params = new NodeRegistry.NodeParams(name, ipv4Bytes(ip), BigInteger.valueOf(basePort),
                publicKey, domain, new NodeRegistry.Capacity(BigInteger.valueOf(cpuMillicores), BigInteger.valueOf(memoryMiB),
                BigInteger.valueOf(diskGiB)));
        transact(AddressBook.NODE_REGISTRY, new Function("createNode", List.<Type>of(params), List.of()), BigInteger.ZERO);
        return nodeByAddress(account()).orElseThrow().id();
    }

    public TransactionReceipt setMaintenance(long nodeId, boolean on) {
        return transact(AddressBook.NODE_REGISTRY, new Function("setMaintenance",
                List.of(new Uint256(nodeId), new Bool(on)), List.of()), BigInteger.ZERO);
    }

    /**
     * Registers {@code consensusKey} as node {@code nodeId}'s consensus key, with the key's proof of possession (its
     * signature of NodeRegistry.consensusKeyMessage). Sent by this client's account: the node's operator address.
     */
    public TransactionReceipt setConsensusKey(long nodeId, Credentials consensusKey) {
        byte[] message = call(() -> nodes.consensusKeyMessage(BigInteger.valueOf(nodeId), consensusKey.getAddress()).send());
        Sign.SignatureData sig = Sign.signPrefixedMessage(message, consensusKey.getEcKeyPair());
        byte[] proof = new byte[65];
        System.arraycopy(sig.getR(), 0, proof, 0, 32);
        System.arraycopy(sig.getS(), 0, proof, 32, 32);
        proof[64] = sig.getV()[0];
        return transact(AddressBook.NODE_REGISTRY, new Function("setConsensusKey",
                List.of(new Uint256(nodeId), new Address(consensusKey.getAddress()), new DynamicBytes(proof)), List.of()), BigInteger.ZERO);
    }

    public TransactionReceipt initiateExit(long nodeId) {
        return transact(AddressBook.NODE_REGISTRY, new Function("initiateExit", List.of(new Uint256(nodeId)), List.of()), BigInteger.ZERO);
    }

    /**
     * Requests the exit rotations of Leaving node {@code nodeId} on up to {@code maxChains} of its chains without a
     * pending draw; each completes with {@link #finalizeDraw}, and the last one marks the node Left.
     */
    public TransactionReceipt processExit(long nodeId, int maxChains) {
        return transact(AddressBook.SIDECHAIN_MANAGER, new Function("processExit",
                List.of(new Uint256(nodeId), new Uint256(maxChains)), List.of()), BigInteger.ZERO);
    }

    /** Completes the pending draw of chain {@code chainId}; refused (DrawNotReady) in the block of its request. */
    public TransactionReceipt finalizeDraw(long chainId) {
        return transact(AddressBook.SIDECHAIN_MANAGER, new Function("finalizeDraw", List.of(new Uint256(chainId)), List.of()),
                BigInteger.ZERO);
    }

    /** Requests the periodic rotation of chain {@code chainId} (once due). */
    public TransactionReceipt rotate(long chainId) {
        return transact(AddressBook.SIDECHAIN_MANAGER, new Function("rotate", List.of(new Uint256(chainId)), List.of()), BigInteger.ZERO);
    }

    /** Removes expired chain {@code chainId}, freeing its members' units. */
    public TransactionReceipt removeExpired(long chainId) {
        return transact(AddressBook.SIDECHAIN_MANAGER, new Function("removeExpired", List.of(new Uint256(chainId)), List.of()),
                BigInteger.ZERO);
    }

    /**
     * Finalizes the pending draw of {@code chainId}, waiting (polling every {@code poll}) while the chain has not
     * yet passed the draw's seed block, for at most {@code timeout}. Returns false when nothing is pending.
     */
    public boolean finalizeDrawWhenReady(long chainId, Duration poll, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            PendingDraw draw = pendingDraw(chainId);
            if (!draw.pending()) {
                return false;
            }
            try {
                finalizeDraw(chainId);
                return true;
            } catch (ManagerException e) {
                // Another party may have finalized it meanwhile, or the seed block is still the newest; look again.
                if (!pendingDraw(chainId).pending()) {
                    return false;
                }
                if (!e.getMessage().contains("DrawNotReady")) {
                    throw e;
                }
            }
            if (Instant.now().isAfter(deadline)) {
                throw new ManagerException("the draw of chain " + chainId + " (seed block " + draw.seedBlock()
                        + ") could not be finalized within " + timeout.toSeconds() + " s");
            }
            try {
                Thread.sleep(poll.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ManagerException("interrupted while waiting to finalize the draw of chain " + chainId, e);
            }
        }
    }

    public TransactionReceipt reportDown(long chainId, long nodeId) {
        return transact(AddressBook.SIDECHAIN_MANAGER, new Function("reportDown",
                List.of(new Uint256(chainId), new Uint256(nodeId)), List.of()), BigInteger.ZERO);
    }

    /**
     * Creates a chain paying exactly its price, then finalizes the draw of its members from the next block on
     * (waiting up to two minutes for that block); returns its id.
     */
    public long createSidechain(String name, String typeName, Duration lifetime, String consensus, String imageVersion) {
        long chainId = requestSidechain(name, typeName, lifetime, consensus, imageVersion);
        finalizeDrawWhenReady(chainId, Duration.ofMillis(500), Duration.ofMinutes(2));
        return chainId;
    }

    /** Pays for a chain and requests the draw of its members; the chain is PENDING until finalized. */
    public long requestSidechain(String name, String typeName, Duration lifetime, String consensus, String imageVersion) {
        BigInteger price = priceOf(typeName, lifetime);
        SidechainManager.Options options = new SidechainManager.Options(consensus, imageVersion);
        transact(AddressBook.SIDECHAIN_MANAGER, new Function("createSidechain",
                List.<Type>of(new Utf8String(name), new Utf8String(typeName), new Uint40(lifetime.toSeconds()), options), List.of()), price);
        return chainIdOf(name);
    }

    /**
     * What resizing chain {@code chainId} to type {@code typeName} costs at the latest block's time: the price
     * difference for the remaining lifetime, positive when the owner pays, negative when refunded
     * (docs/contracts.md, "Resizing a chain"). A later block leaves less lifetime, so paying this covers the price.
     */
    public BigInteger resizePrice(long chainId, String typeName) {
        ChainInfo chain = chain(chainId);
        SidechainManager.ChainType t = call(() -> manager.chainType(typeName).send());
        BigInteger perUnitSecond = call(() -> manager.parameters().send()).pricePerUnitSecond;
        long remaining = Math.max(0, chain.expiresAt().getEpochSecond() - latestBlockTime().getEpochSecond());
        long sizeBefore = (long) chain.unitsPerNode() * chain.members().size();
        long sizeAfter = t.unitsPerNode.longValueExact() * t.nodeCount.longValueExact();
        return perUnitSecond.multiply(BigInteger.valueOf(sizeAfter - sizeBefore)).multiply(BigInteger.valueOf(remaining));
    }

    /**
     * Resizes chain {@code chainId} to type {@code typeName}, paying the price difference when it grows (any excess
     * is refunded by the contract), and finalizes the resize draw from the next block on when one was requested
     * (waiting up to two minutes). Returns the receipt of the resize request.
     */
    public TransactionReceipt resizeSidechain(long chainId, String typeName) {
        BigInteger price = resizePrice(chainId, typeName).max(BigInteger.ZERO);
        TransactionReceipt receipt = transact(AddressBook.SIDECHAIN_MANAGER, new Function("resizeSidechain",
                List.<Type>of(new Uint256(chainId), new Utf8String(typeName)), List.of()), price);
        finalizeDrawWhenReady(chainId, Duration.ofMillis(500), Duration.ofMinutes(2));
        return receipt;
    }

    public TransactionReceipt deleteSidechain(long chainId) {
        return transact(AddressBook.SIDECHAIN_MANAGER, new Function("deleteSidechain", List.of(new Uint256(chainId)), List.of()), BigInteger.ZERO);
    }

    /**
     * Moves chain {@code chainId} to image {@code version} (the chain's owner; a published, not revoked subnode image
     * newer than the current one). Its members' agents roll it out one member at a time (docs/agent.md, "Image rollout").
     */
    public TransactionReceipt changeImage(long chainId, String version) {
        return transact(AddressBook.SIDECHAIN_MANAGER, new Function("changeImage", List.of(new Uint256(chainId), new Utf8String(version)),
                List.of()), BigInteger.ZERO);
    }

    /** Publishes an image version (needs PUBLISHER_ROLE). */
    public TransactionReceipt publishImage(String version, String digest, String component) {
        byte[] raw = Numeric.hexStringToByteArray(digest.startsWith("sha256:") ? digest.substring(7) : digest);
        return transact(AddressBook.IMAGE_REGISTRY, new Function("publish",
                List.of(new Utf8String(version), new org.web3j.abi.datatypes.generated.Bytes32(raw), new Utf8String(component)), List.of()),
                BigInteger.ZERO);
    }

    /** Sends plain ether. */
    public TransactionReceipt sendEther(String to, BigInteger wei) {
        return send(to, "0x", wei);
    }

    /**
     * Simulates {@code function} on {@code contract} on top of the pending block (the block it would land in, so a
     * draw requested in the latest block can be finalized at once), then sends it and waits for its receipt.
     */
    public TransactionReceipt transact(String contract, Function function, BigInteger value) {
        String to = book.address(contract);
        String data = FunctionEncoder.encode(function);
        EthCall simulation = call(() -> web3j.ethCall(
                Transaction.createFunctionCallTransaction(account(), null, null, GAS_LIMIT, to, value, data),
                DefaultBlockParameterName.PENDING).send());
        if (simulation.hasError() || simulation.isReverted()) {
            String revertData = simulation.hasError() && simulation.getError().getData() != null
                    ? simulation.getError().getData().replace("\"", "")
                    : simulation.getValue();
            String reason = revertData != null && revertData.startsWith("0x")
                    ? revertDecoder.describe(revertData)
                    : (simulation.hasError() ? simulation.getError().getMessage() : simulation.getRevertReason());
            throw new ManagerException(contract + "." + function.getName() + " refused: " + reason);
        }
        return send(to, data, value);
    }

    private TransactionReceipt send(String to, String data, BigInteger value) {
        return call(() -> {
            BigInteger gasPrice = web3j.ethGasPrice().send().getGasPrice().multiply(BigInteger.TWO);
            EthSendTransaction sent = transactions.sendTransaction(gasPrice, GAS_LIMIT, to, data, value);
            if (sent.hasError()) {
                throw new ManagerException("transaction to " + to + " rejected: " + sent.getError().getMessage());
            }
            TransactionReceipt receipt = receipts.waitForTransactionReceipt(sent.getTransactionHash());
            if (!receipt.isStatusOK()) {
                throw new ManagerException("transaction " + receipt.getTransactionHash() + " reverted");
            }
            return receipt;
        });
    }

    // ------------------------------------------------------------------ helpers

    @FunctionalInterface
    private interface Remote<T> {
        T get() throws Exception;
    }

    private static <T> T call(Remote<T> remote) {
        try {
            return remote.get();
        } catch (ManagerException e) {
            throw e;
        } catch (IOException e) {
            throw new ManagerException("manager RPC unreachable: " + e.getMessage(), e);
        } catch (Exception e) {
            throw new ManagerException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    static String ipv4(byte[] ip) {
        try {
            return InetAddress.getByAddress(ip).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IPv4 address: " + Numeric.toHexString(ip), e);
        }
    }

    static byte[] ipv4Bytes(String ip) {
        String[] parts = ip.split("\\.");
        if (parts.length != 4) {
            throw new IllegalArgumentException("not a dotted IPv4 address: " + ip);
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            int octet = Integer.parseInt(parts[i]);
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("not a dotted IPv4 address: " + ip);
            }
            out[i] = (byte) octet;
        }
        return out;
    }
}
