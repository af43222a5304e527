package io.flotilla.agent.isolation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Hard size limits of subnode data volumes (docs/agent.md, "Isolation"): each volume is an ext4 file system in a
 * sparse image file {@code <data-dir>/volumes/<volume>.img}, loop-mounted at {@code <data-dir>/volumes/<volume>/}
 * (nodev, nosuid, noexec), and the Docker volume is a bind of that directory. A subnode that fills it gets ENOSPC in
 * its own file system; the host's disk and the other volumes are untouched. Needs root (mount, mkfs.ext4).
 *
 * <p>Loop mounts do not survive a reboot: {@link #mountAll()} mounts every image again, and the agent calls it
 * before it starts any container.
 */
public final class VolumeQuota {

    private static final long TIMEOUT_SECONDS = 120;
    /** The smallest volume: ext4 with a journal needs a few MiB for itself. */
    public static final long MIN_BYTES = 32L << 20;

    private final Path root;

    public VolumeQuota(Path dataDir) {
        this.root = dataDir.resolve("volumes");
    }

    /** Why quotas cannot be made here (not root, no mkfs.ext4), empty when they can. */
    public static Optional<String> unusable() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("the agent does not run as root (loop mounts need it)");
        }
        for (String tool : List.of("mkfs.ext4", "mount", "umount")) {
            if (find(tool).isEmpty()) {
                return Optional.of(tool + " is not installed");
            }
        }
        if (!Files.exists(Path.of("/dev/loop-control"))) {
            return Optional.of("no loop devices (/dev/loop-control is missing)");
        }
        return Optional.empty();
    }

    private static Optional<Path> find(String tool) {
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    public Path mountPoint(String volume) {
        return root.resolve(safe(volume));
    }

    private Path image(String volume) {
        return root.resolve(safe(volume) + ".img");
    }

    /** Docker local-driver options that make a named volume a bind of the quota'd directory. */
    public Map<String, String> dockerOptions(String volume) {
        return Map.of("type", "none", "o", "bind", "device", mountPoint(volume).toAbsolutePath().toString());
    }

    /**
     * Makes the volume's file system (once: an existing image is kept, whatever its size) and mounts it, its root
     * owned by {@code uid}. Idempotent; a crash while formatting leaves only a temporary file, formatted again.
     */
    public void create(String volume, long bytes, int uid) {
        Path image = image(volume);
        try {
            Files.createDirectories(root);
            if (!Files.exists(image)) {
                Path tmp = root.resolve("." + safe(volume) + ".img.tmp");
                Files.deleteIfExists(tmp);
                // Sparse: the node's disk is used as the subnode writes, up to the limit.
                try (var file = new java.io.RandomAccessFile(tmp.toFile(), "rw")) {
                    file.setLength(Math.max(MIN_BYTES, bytes));
                }
                // -m 0: no blocks reserved for root, the subnode's uid may use all of it.
                exec("mkfs.ext4", "-q", "-F", "-m", "0", "-E", "root_owner=" + uid + ":" + uid, tmp.toString());
                Files.move(tmp, image, StandardCopyOption.ATOMIC_MOVE);
            }
            ensureMounted(volume, uid);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the volume image of " + volume + ": " + e.getMessage(), e);
        }
    }

    /** Mounts every volume image that is not mounted (after a reboot); returns the volumes mounted now. */
    public List<String> mountAll() {
        List<String> mounted = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return mounted;
        }
        Set<String> current = mountedPaths();
        try (Stream<Path> files = Files.list(root)) {
            for (Path image : files.filter(p -> p.getFileName().toString().endsWith(".img")).toList()) {
                String volume = image.getFileName().toString().replaceFirst("\\.img$", "");
                if (!current.contains(mountPoint(volume).toAbsolutePath().toString())) {
                    mount(volume);
                    mounted.add(volume);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
        }
        return mounted;
    }

    private void ensureMounted(String volume, int uid) throws IOException {
        if (!mountedPaths().contains(mountPoint(volume).toAbsolutePath().toString())) {
            mount(volume);
        }
        Path dir = mountPoint(volume);
        // A changed uid (another uid base) takes the files along.
        if (!Integer.valueOf(uid).equals(Files.getAttribute(dir, "unix:uid"))) {
            exec("chown", "-R", uid + ":" + uid, dir.toString());
        }
    }

    private void mount(String volume) {
        Path dir = mountPoint(volume);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        exec("mount", "-t", "ext4", "-o", "loop,nodev,nosuid,noexec", image(volume).toString(), dir.toString());
    }

    /** Whether the volume has a quota file system image here (mounted or not). */
    public boolean hasImage(String volume) {
        return Files.exists(image(volume));
    }

    /** Whether the volume is a mounted quota file system. */
    public boolean isMounted(String volume) {
        return mountedPaths().contains(mountPoint(volume).toAbsolutePath().toString());
    }

    /** Used and total bytes of a mounted volume, empty when it has no quota file system here. */
    public Optional<Usage> usage(String volume) {
        if (!isMounted(volume)) {
            return Optional.empty();
        }
        try {
            FileStore store = Files.getFileStore(mountPoint(volume));
            long total = store.getTotalSpace();
            return Optional.of(new Usage(total - store.getUsableSpace(), total));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Bytes used and the file system's size. */
    public record Usage(long usedBytes, long totalBytes) {
        /**
         * Full: less than 2% of the volume (at most 64 MiB, a RocksDB memtable flush) left; the store's next flush or
         * compaction may not fit.
         */
        public boolean full() {
            long free = totalBytes - usedBytes;
            return free < Math.min(totalBytes / 50, 64L << 20) + 1;
        }

        /** Nearly full: more than 90% used (a notice, before it becomes a problem). */
        public boolean nearlyFull() {
            return usedBytes > totalBytes / 10 * 9;
        }
    }

    /** Unmounts and deletes a volume's file system; does nothing when it is gone. */
    public void remove(String volume) {
        Path dir = mountPoint(volume);
        if (isMounted(volume)) {
            exec("umount", dir.toString());
        }
        try {
            Files.deleteIfExists(image(volume));
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the volume image of " + volume + ": " + e.getMessage(), e);
        }
    }

    /** Unmounts and deletes every volume of this data directory (tests, and a node taken down for good). */
    public void removeAll() {
        if (!Files.isDirectory(root)) {
            return;
        }
        Set<String> volumes = new HashSet<>();
        try (Stream<Path> files = Files.list(root)) {
            files.forEach(p -> volumes.add(p.getFileName().toString().replaceFirst("\\.img$", "")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
        }
        volumes.stream().filter(v -> !v.startsWith(".")).forEach(this::remove);
    }

    private Set<String> mountedPaths() {
        Set<String> paths = new HashSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 4) {
                    paths.add(f[4].replace("\\040", " "));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/mountinfo: " + e.getMessage(), e);
        }
        return paths;
    }

    /** Volume names are the agent's own ({@code flotilla-<chain>-<node>-data}); anything else is refused. */
    private static String safe(String volume) {
        if (!volume.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,200}")) {
            throw new IllegalArgumentException("not a volume name: " + volume);
        }
        return volume;
    }

    static void exec(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out.strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command[0] + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command[0], e);
        }
    }
}
