package io.flotilla.agent.reconcile;

import io.flotilla.agent.plan.DesiredSubnode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes a subnode's config directory: config.json, the node's consensus keystore and its password (never the
 * operator key: docs/agent.md, "Keys"). Files are written to a
 * temporary name and moved into place, so a crash never leaves a half-written config. The directory is mounted
 * read-only into the container. The directory (0700) and its files (0600) are owned by the subnode's own uid and
 * gid, so no other subnode and no other host user but root can read them.
 */
public final class ConfigWriter {

    public static final String CONFIG_FILE = "config.json";

    private final Path root;
    private final byte[] keystore;
    private final byte[] password;
    private final int subnodeGid;

    /**
     * @param subnodeGid the group of the files of a subnode without isolation data (root-owned, 0640); a subnode with
     *     it gets files owned by its own uid
     */
    /** Key files of earlier versions, which held the operator key: removed wherever they are found. */
    static final java.util.List<String> RETIRED_FILES = java.util.List.of("node-key.json", "node-key.password");

    public ConfigWriter(Path dataDir, byte[] keystore, byte[] password, int subnodeGid) {
        this.root = dataDir.resolve("subnodes");
        this.keystore = keystore.clone();
        this.password = password.clone();
        this.subnodeGid = subnodeGid;
    }

    public Path directoryOf(DesiredSubnode subnode) {
        return root.resolve(subnode.containerName());
    }

    /** Hash ({@link SubnodeConfigRenderer#hash}) of the config file on disk, empty when there is none or it cannot be read. */
    public java.util.Optional<String> currentHash(DesiredSubnode subnode) {
        Path file = directoryOf(subnode).resolve(CONFIG_FILE);
        try {
            return java.util.Optional.of(SubnodeConfigRenderer.hash(Files.readString(file, StandardCharsets.UTF_8)));
        } catch (IOException | UncheckedIOException e) {
            return java.util.Optional.empty();
        }
    }

    /** Writes the files whose content differs; returns the directory. */
    public Path write(DesiredSubnode subnode) {
        Path dir = directoryOf(subnode);
        try {
            Files.createDirectories(dir);
            Integer uid = subnode.isolation() == null ? null : subnode.isolation().uid();
            restrict(dir, uid == null ? "rwxr-x---" : "rwx------", uid);
            for (String retired : RETIRED_FILES) {
                Files.deleteIfExists(dir.resolve(retired));
            }
            writeIfChanged(dir.resolve(SubnodeConfigRenderer.KEY_FILE), keystore, uid);
            writeIfChanged(dir.resolve(SubnodeConfigRenderer.PASSWORD_FILE), password, uid);
            // Last: a subnode watching the directory sees the new config only once everything it names is in place.
            writeIfChanged(dir.resolve(CONFIG_FILE), subnode.configJson().getBytes(StandardCharsets.UTF_8), uid);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the config of " + subnode.containerName() + ": " + e.getMessage(), e);
        }
    }

    /** Deletes a subnode's config directory; does nothing when it is gone. */
    public void delete(String containerName) {
        Path dir = root.resolve(containerName);
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }

    private void writeIfChanged(Path file, byte[] content, Integer uid) throws IOException {
        if (Files.exists(file) && Arrays.equals(Files.readAllBytes(file), content)) {
            if (uid != null && !uid.equals(Files.getAttribute(file, "unix:uid"))) {
                restrict(file, "rw-------", uid); // a changed uid base: the same content, a new owner
            }
            return;
        }
        // The temporary file is in the same (mounted) directory, so the rename is atomic and the subnode never reads
        // a half-written file.
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.write(tmp, content);
        restrict(tmp, uid == null ? "rw-r-----" : "rw-------", uid);
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The mode with "other" given the group's read (and, for directories, search) bits: rw-r----- gives rw-r--r--. */
    static String readableByOthers(String mode) {
        return mode.substring(0, 6) + mode.substring(3, 6).replace('w', '-');
    }

    /** Gives {@code path} to the subnode's uid (or root and the subnode group when {@code uid} is null), with {@code mode}. */
    private void restrict(Path path, String mode, Integer uid) throws IOException {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(mode));
        try {
            if (uid != null) {
                Files.setAttribute(path, "unix:gid", uid);
                Files.setAttribute(path, "unix:uid", uid);
            } else {
                Files.setAttribute(path, "unix:gid", subnodeGid);
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // Not root (a developer's run): let the subnode user read through "other" instead.
            String readable = uid == null ? mode : mode.substring(0, 3) + mode.substring(0, 3).replace('w', '-') + "---";
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(readableByOthers(readable)));
        }
    }
}
