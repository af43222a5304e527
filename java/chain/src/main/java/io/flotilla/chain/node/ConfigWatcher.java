package io.flotilla.chain.node;

import io.flotilla.subnode.config.ConfigException;
import io.flotilla.subnode.config.SubnodeConfigJson;
import io.flotilla.subnode.config.SubnodeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Watches the config file the agent rewrites (atomically: a temporary file in the same directory, then a rename)
 * and applies what can change live. It polls the file's content hash every {@link #POLL_EVERY} (a rename replaces
 * the inode, which a poll by path follows; a WatchService on a bind-mounted directory may not see it). For every new
 * content:
 * <ul>
 *   <li>invalid (unreadable, not JSON, a field out of range, this node not among the members): one line is logged
 *       naming the problem and it is ignored: the config in force stays;</li>
 *   <li>valid, with a change in a field only a new process can take ({@link SubnodeConfig#restartFieldsChanged}): one
 *       line names the fields, which keep their running values (the agent recreates the container for those);</li>
 *   <li>valid, with different members (or endpoints): the new set is handed to {@code applyMembers}, live.</li>
 * </ul>
 * A content seen before is not looked at again, so a bad file is logged once, not every second.
 */
final class ConfigWatcher implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ConfigWatcher.class.getName());
    static final Duration POLL_EVERY = Duration.ofSeconds(1);
    /** The file is read at least this often even when a stat says it did not change. */
    static final Duration READ_EVERY = Duration.ofSeconds(10);
    /** A config larger than this is not read (the agent writes a few KiB). */
    static final long MAX_BYTES = 1 << 20;

    private final Path file;
    private final Consumer<SubnodeConfig> applyMembers;
    private final ScheduledExecutorService poller;
    private volatile SubnodeConfig inForce;
    private byte[] lastSeen;
    /** Size, modification time and inode of the file when it was last read, and when (System.nanoTime). */
    private String lastStamp;
    private long lastReadAt;
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong ignored = new AtomicLong();
    private volatile String lastProblem = "";

    /**
     * @param inForce the config the process started with (its file's current content counts as seen)
     * @param applyMembers called (on the watcher's thread) with a valid new config whose members differ
     */
    ConfigWatcher(Path file, SubnodeConfig inForce, Consumer<SubnodeConfig> applyMembers, Duration every) {
        this.file = file;
        this.inForce = inForce;
        this.applyMembers = applyMembers;
        this.lastStamp = stamp();
        this.lastReadAt = System.nanoTime();
        this.lastSeen = read().orElse(null);
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("config-watch").unstarted(r));
        poller.scheduleWithFixedDelay(this::pollQuietly, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The config in force: the starting one with the members last applied. */
    SubnodeConfig inForce() {
        return inForce;
    }

    /** Member set changes applied live so far. */
    long applied() {
        return applied.get();
    }

    /** New contents ignored so far (invalid), or whose restart-only fields were kept at their running values. */
    long ignored() {
        return ignored.get();
    }

    /** The last line logged about a new content that was not (entirely) applied; empty when none. */
    String lastProblem() {
        return lastProblem;
    }

    /** The SHA-256 of the file's content (of its size alone when it is over the limit); empty when it cannot be read. */
    private String stamp() {
        try {
            var a = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
            return a.size() + "/" + a.lastModifiedTime().to(TimeUnit.NANOSECONDS) + "/" + a.fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private java.util.Optional<byte[]> read() {
        try {
            long size = Files.size(file);
            byte[] content = size > MAX_BYTES ? ("size " + size).getBytes(java.nio.charset.StandardCharsets.UTF_8) : Files.readAllBytes(file);
            return java.util.Optional.of(sha256(content));
        } catch (IOException e) {
            return java.util.Optional.empty(); // absent between a delete and a rename, or unreadable for a moment
        }
    }

    private void pollQuietly() {
        try {
            poll();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "config watch failed (retried): " + e);
        }
    }

    /** Looks at the file once. */
    synchronized void poll() {
        // A stat first: the file is read and hashed only when its size, time or inode changed, or every READ_EVERY
        // whatever they say (a rewrite within one timestamp tick, same size and inode, waits at most that long).
        String stamp = stamp();
        long now = System.nanoTime();
        if (stamp != null && stamp.equals(lastStamp) && now - lastReadAt < READ_EVERY.toNanos()) return;
        lastStamp = stamp;
        lastReadAt = now;
        java.util.Optional<byte[]> hash = read();
        if (hash.isEmpty() || Arrays.equals(hash.get(), lastSeen)) return; // absent for a moment, or unchanged
        lastSeen = hash.get();
        SubnodeConfig next;
        try {
            if (Files.size(file) > MAX_BYTES) throw new ConfigException("config " + file + ": larger than " + MAX_BYTES + " bytes");
            next = SubnodeConfigJson.load(file);
        } catch (ConfigException | IOException e) {
            problem("new config ignored, the previous one stays in force: " + e.getMessage());
            return;
        }
        SubnodeConfig current = inForce;
        List<String> restart = current.restartFieldsChanged(next);
        if (!restart.isEmpty()) {
            problem("new config changes " + String.join(", ", restart) + ": only a new process takes these; running on with the old values");
        }
        SubnodeConfig merged = current.withLiveFields(next);
        inForce = merged;
        if (!merged.members().equals(current.members())) {
            applyMembers.accept(merged);
            applied.incrementAndGet();
            LOG.log(System.Logger.Level.INFO, "config: member set applied live: " + merged.members().size() + " members");
        }
    }

    private void problem(String line) {
        ignored.incrementAndGet();
        lastProblem = line;
        LOG.log(System.Logger.Level.WARNING, line);
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
