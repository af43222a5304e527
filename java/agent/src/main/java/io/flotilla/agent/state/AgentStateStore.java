package io.flotilla.agent.state;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.agent.plan.DesiredState;
import io.flotilla.agent.plan.DesiredSubnode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the agent must remember across its own restarts, in {@code <dataDir>/agent/}: the last desired state it read
 * from the contracts (so subnodes keep being restarted while the Ethereum endpoint is down, even right after the
 * agent starts) and the last block whose manager events it processed (so events are read on from there, never from
 * block 0 and never skipped). Each file is written to a temporary name and renamed: a crash leaves the old or the new
 * content, never half of it.
 */
public final class AgentStateStore {

    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** The saved desired state; times as epoch milliseconds so the file needs no extra Jackson module. */
    record SavedDesired(long nodeId, List<DesiredSubnode> subnodes, Map<Long, Long> leavingUntilMillis, Set<Long> strayChains,
            long savedAtMillis) {}

    record SavedEvents(long lastProcessedBlock) {}

    /** A desired state read back, with when it was read from the contracts. */
    public record Saved(DesiredState desired, Instant savedAt) {}

    private final Path dir;

    public AgentStateStore(Path dataDir) {
        this.dir = dataDir.resolve("agent");
    }

    public void saveDesired(DesiredState desired, Instant now) {
        Map<Long, Long> leaving = new HashMap<>();
        desired.leavingUntil().forEach((chain, until) -> leaving.put(chain, until.toEpochMilli()));
        write("desired.json", new SavedDesired(desired.nodeId(), desired.subnodes(), leaving, desired.strayChains(), now.toEpochMilli()));
    }

    public Optional<Saved> loadDesired() {
        return read("desired.json", SavedDesired.class).map(s -> {
            Map<Long, Instant> leaving = new HashMap<>();
            s.leavingUntilMillis().forEach((chain, millis) -> leaving.put(chain, Instant.ofEpochMilli(millis)));
            return new Saved(new DesiredState(s.nodeId(), s.subnodes(), leaving, s.strayChains() == null ? Set.of() : s.strayChains()),
                    Instant.ofEpochMilli(s.savedAtMillis()));
        });
    }

    public void saveLastProcessedBlock(long block) {
        write("events.json", new SavedEvents(block));
    }

    public Optional<Long> loadLastProcessedBlock() {
        return read("events.json", SavedEvents.class).map(SavedEvents::lastProcessedBlock);
    }

    private void write(String name, Object value) {
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve(name);
            Path tmp = dir.resolve("." + name + ".tmp");
            Files.write(tmp, JSON.writeValueAsBytes(value));
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save agent state " + dir.resolve(name) + ": " + e.getMessage(), e);
        }
    }

    private <T> Optional<T> read(String name, Class<T> type) {
        try {
            return Optional.of(JSON.readValue(dir.resolve(name).toFile(), type));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            if (!Files.exists(dir.resolve(name))) {
                return Optional.empty();
            }
            throw new UncheckedIOException("cannot read agent state " + dir.resolve(name) + ": " + e.getMessage(), e);
        }
    }
}
