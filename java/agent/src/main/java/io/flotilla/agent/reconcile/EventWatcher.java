package io.flotilla.agent.reconcile;

import io.flotilla.agent.state.AgentStateStore;
import io.flotilla.manager.AddressBook;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.ManagerEvents;
import io.flotilla.manager.ManagerEvents.ManagerEvent;
import java.util.List;
import org.web3j.protocol.Web3j;

/**
 * Reads manager events on from the last processed block, which it saves in the agent's data directory after every
 * read, so a restarted agent neither skips events nor reads from block 0. On a first start (nothing saved) it begins
 * at the current block, and waits for the Ethereum endpoint rather than guess (a full resync follows anyway).
 */
public final class EventWatcher {

    private final Web3j web3j;
    private final AddressBook book;
    private final ManagerClient client;
    private final AgentStateStore store;
    private final long maxRange;
    private ManagerEvents events;
    private long saved = -1;

    public EventWatcher(Web3j web3j, AddressBook book, ManagerClient client, AgentStateStore store, long maxRange) {
        this.web3j = web3j;
        this.book = book;
        this.client = client;
        this.store = store;
        this.maxRange = maxRange;
    }

    /** The next batch of events (at most maxRange blocks); throws ManagerException when the endpoint fails. */
    public synchronized List<ManagerEvent> poll() {
        if (events == null) {
            long from = store.loadLastProcessedBlock().orElseGet(() -> Math.max(0, client.blockNumber() - 1));
            events = new ManagerEvents(web3j, book, from, maxRange);
            saved = from;
        }
        List<ManagerEvent> batch = events.poll();
        long last = events.lastProcessedBlock();
        if (last != saved) {
            store.saveLastProcessedBlock(last);
            saved = last;
        }
        return batch;
    }

    /** Blocks not yet read at the last poll (0 before the first). */
    public synchronized long lag() {
        return events == null ? 0 : events.lag();
    }

    public synchronized long lastProcessedBlock() {
        return events == null ? -1 : events.lastProcessedBlock();
    }
}
