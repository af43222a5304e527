package io.flotilla.manager;

import io.flotilla.manager.contracts.ImageRegistry;
import io.flotilla.manager.contracts.NodeRegistry;
import io.flotilla.manager.contracts.SidechainManager;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.datatypes.Event;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;

/**
 * The stream of manager events an agent reacts to, read by polling eth_getLogs from the last block processed. Each
 * {@link #poll()} returns the events of at most {@code maxRange} blocks after the last processed one, oldest first
 * (providers reject unbounded ranges); a caller that is behind polls again at once ({@link #lag()}).
 */
public final class ManagerEvents {

    /** One decoded event: its name, contract and the indexed arguments as 32-byte topics. */
    public record ManagerEvent(long blockNumber, String contract, String name, List<String> topics) {}

    private static final Map<String, String> NAMES = new HashMap<>();

    static {
        for (Event e : List.of(SidechainManager.SIDECHAINCREATED_EVENT, SidechainManager.SIDECHAINREMOVED_EVENT,
                SidechainManager.SIDECHAINLIFETIMEEXTENDED_EVENT, SidechainManager.SIDECHAINIMAGECHANGED_EVENT,
                SidechainManager.NODEROTATED_EVENT, SidechainManager.NODEREPORTEDDOWN_EVENT, SidechainManager.DRAWREQUESTED_EVENT,
                // A resize of units only changes no member: this event is the agents' only cue.
                SidechainManager.SIDECHAINRESIZED_EVENT,
                NodeRegistry.NODECREATED_EVENT, NodeRegistry.NODESTATUSCHANGED_EVENT, NodeRegistry.NODECOMPLIANCECHANGED_EVENT,
                NodeRegistry.CONSENSUSKEYSET_EVENT,
                ImageRegistry.IMAGEVERSIONPUBLISHED_EVENT, ImageRegistry.IMAGEVERSIONREVOKED_EVENT)) {
            NAMES.put(EventEncoder.encode(e), e.getName());
        }
    }

    /** Blocks per eth_getLogs request by default: within what public providers accept. */
    public static final long DEFAULT_MAX_RANGE = 1_000;

    private final Web3j web3j;
    private final long maxRange;
    private final Map<String, String> contractByAddress = new HashMap<>();
    private volatile long nextBlock;
    private volatile long lag;

    /** Starts reading from the block after {@code fromBlockExclusive}. */
    public ManagerEvents(Web3j web3j, AddressBook book, long fromBlockExclusive) {
        this(web3j, book, fromBlockExclusive, DEFAULT_MAX_RANGE);
    }

    /** Starts reading from the block after {@code fromBlockExclusive}, {@code maxRange} blocks per request at most. */
    public ManagerEvents(Web3j web3j, AddressBook book, long fromBlockExclusive, long maxRange) {
        if (maxRange < 1) {
            throw new IllegalArgumentException("maxRange must be at least 1, got " + maxRange);
        }
        this.web3j = web3j;
        this.maxRange = maxRange;
        for (String name : List.of(AddressBook.SIDECHAIN_MANAGER, AddressBook.NODE_REGISTRY, AddressBook.IMAGE_REGISTRY)) {
            contractByAddress.put(book.address(name).toLowerCase(), name);
        }
        this.nextBlock = fromBlockExclusive + 1;
    }

    /** The last block whose events were returned. */
    public long lastProcessedBlock() {
        return nextBlock - 1;
    }

    /** Blocks mined but not yet read, as of the last poll. */
    public long lag() {
        return lag;
    }

    /**
     * Events of the next blocks after the last processed one, at most {@code maxRange} of them (throws
     * {@link ManagerException} when the RPC fails; nothing is marked processed then).
     */
    public List<ManagerEvent> poll() {
        try {
            long latest = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
            if (latest < nextBlock) {
                lag = 0;
                return List.of();
            }
            long to = Math.min(latest, nextBlock + maxRange - 1);
            EthFilter filter = new EthFilter(
                    DefaultBlockParameter.valueOf(BigInteger.valueOf(nextBlock)),
                    DefaultBlockParameter.valueOf(BigInteger.valueOf(to)),
                    new ArrayList<>(contractByAddress.keySet()));
            EthLog response = web3j.ethGetLogs(filter).send();
            if (response.hasError()) {
                throw new ManagerException("eth_getLogs failed: " + response.getError().getMessage());
            }
            List<ManagerEvent> events = new ArrayList<>();
            for (EthLog.LogResult<?> result : response.getLogs()) {
                Log log = (Log) result.get();
                String name = log.getTopics().isEmpty() ? null : NAMES.get(log.getTopics().get(0));
                if (name != null) {
                    events.add(new ManagerEvent(log.getBlockNumber().longValueExact(),
                            contractByAddress.get(log.getAddress().toLowerCase()), name, log.getTopics().subList(1, log.getTopics().size())));
                }
            }
            nextBlock = to + 1;
            lag = latest - to;
            return events;
        } catch (ManagerException e) {
            throw e;
        } catch (Exception e) {
            throw new ManagerException("manager RPC unreachable: " + e.getMessage(), e);
        }
    }
}
