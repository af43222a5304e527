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
 * The stream of manager events an agent reacts to, read by polling eth_getLogs from the last block seen. Each
 * {@link #poll()} returns the events of the blocks mined since the previous call, oldest first.
 */
public final class ManagerEvents {

    /** One decoded event: its name, contract and the indexed arguments as 32-byte topics. */
    public record ManagerEvent(long blockNumber, String contract, String name, List<String> topics) {}

    private static final Map<String, String> NAMES = new HashMap<>();

    static {
        for (Event e : List.of(SidechainManager.SIDECHAINCREATED_EVENT, SidechainManager.SIDECHAINREMOVED_EVENT,
                SidechainManager.SIDECHAINLIFETIMEEXTENDED_EVENT, SidechainManager.SIDECHAINIMAGECHANGED_EVENT,
                SidechainManager.NODEROTATED_EVENT, SidechainManager.NODEREPORTEDDOWN_EVENT, SidechainManager.DRAWREQUESTED_EVENT,
                NodeRegistry.NODECREATED_EVENT, NodeRegistry.NODESTATUSCHANGED_EVENT, NodeRegistry.NODECOMPLIANCECHANGED_EVENT,
                ImageRegistry.IMAGEVERSIONPUBLISHED_EVENT, ImageRegistry.IMAGEVERSIONREVOKED_EVENT)) {
            NAMES.put(EventEncoder.encode(e), e.getName());
        }
    }

    private final Web3j web3j;
    private final Map<String, String> contractByAddress = new HashMap<>();
    private long nextBlock;

    /** Starts reading from the block after {@code fromBlockExclusive}. */
    public ManagerEvents(Web3j web3j, AddressBook book, long fromBlockExclusive) {
        this.web3j = web3j;
        for (String name : List.of(AddressBook.SIDECHAIN_MANAGER, AddressBook.NODE_REGISTRY, AddressBook.IMAGE_REGISTRY)) {
            contractByAddress.put(book.address(name).toLowerCase(), name);
        }
        this.nextBlock = fromBlockExclusive + 1;
    }

    /** Events of the blocks mined since the last poll (throws {@link ManagerException} when the RPC fails). */
    public List<ManagerEvent> poll() {
        try {
            long latest = web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
            if (latest < nextBlock) {
                return List.of();
            }
            EthFilter filter = new EthFilter(
                    DefaultBlockParameter.valueOf(BigInteger.valueOf(nextBlock)),
                    DefaultBlockParameter.valueOf(BigInteger.valueOf(latest)),
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
            nextBlock = latest + 1;
            return events;
        } catch (ManagerException e) {
            throw e;
        } catch (Exception e) {
            throw new ManagerException("manager RPC unreachable: " + e.getMessage(), e);
        }
    }
}
