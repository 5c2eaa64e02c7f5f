package dev.mixtral4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * The user's private cache folder, and whether a folder or file may be trusted with code this process will load: owned by the user
 * running it, not a symbolic link, and writable by nobody else (else another local user could
 * swap a library in between the check and the load). Where the file system has no POSIX
 * attributes (Windows) only the link check applies.
 */
public final class PrivateFolders {
    public static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private PrivateFolders() {
    }

    /**
     * The cache root of this library: {@code -Dmixtral4j.cache}, else {@code $XDG_CACHE_HOME/mixtral4j},
     * else {@code ~/.cache/mixtral4j}. Not created here.
     */
    public static Path cacheRoot() {
        String prop = System.getProperty("mixtral4j.cache");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("mixtral4j");
    }

    /** {@code cacheRoot()/name}, created private (or checked when it exists); the root is created too. */
    public static Path cacheFolder(String name) throws IOException {
        Path root = createRoot(cacheRoot());
        return create(root.resolve(name));
    }

    /** Why {@code p} must not be trusted, or empty. */
    public static Optional<String> problem(Path p) throws IOException {
        if (Files.isSymbolicLink(p)) {
            return Optional.of(p + " is a symbolic link");
        }
        PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (view == null) {
            return Optional.empty();
        }
        PosixFileAttributes a = view.readAttributes();
        Optional<Integer> me = currentUid();
        Object uid = me.isPresent() ? Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) : null;
        boolean mine = me.isPresent() ? me.get().equals(uid) : a.owner().getName().equals(System.getProperty("user.name"));
        if (!mine) {
            return Optional.of(p + " is owned by " + a.owner().getName() + ", not by the user running this process");
        }
        Set<PosixFilePermission> perms = a.permissions();
        if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            return Optional.of(p + " is writable by " + (perms.contains(PosixFilePermission.OTHERS_WRITE) ? "other users" : "its group")
                    + " (mode " + PosixFilePermissions.toString(perms) + ")");
        }
        return Optional.empty();
    }

    /**
     * Creates {@code dir} (and missing parents) readable by its owner only, then checks it; an
     * existing folder is checked as it is.
     */
    public static Path create(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Path parent = dir.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                if (Files.getFileStore(parent).supportsFileAttributeView(PosixFileAttributeView.class)) {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                } else {
                    Files.createDirectory(dir);
                }
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // created meanwhile (by another JVM of ours, or not: the check below decides)
            }
        }
        Optional<String> bad = problem(dir);
        if (bad.isPresent()) {
            throw new IOException("refusing the cache folder: " + bad.get()
                    + "; choose another with -Dmixtral4j.cache=DIR or fix its owner and mode");
        }
        return dir;
    }

    /**
     * Creates the cache root (readable by its owner only) when missing. An existing root may be
     * shared, like /tmp, but then it must be sticky: otherwise another user could rename the
     * checked folder inside it and put one of theirs in its place.
     */
    public static Path createRoot(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            create(dir);
            return dir;
        }
        if (Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null) {
            int mode = (Integer) Files.getAttribute(dir, "unix:mode");
            if ((mode & 0022) != 0 && (mode & 01000) == 0) {
                throw new IOException("refusing the cache folder " + dir + ": writable by other users and not sticky (mode "
                        + Integer.toOctalString(mode & 07777) + "); choose another with -Dmixtral4j.cache=DIR");
            }
        }
        return dir;
    }

    /** The real uid of this process where the platform shows it (Linux: /proc/self). */
    private static Optional<Integer> currentUid() {
        try {
            Path self = Path.of("/proc/self");
            return Files.exists(self) ? Optional.of((Integer) Files.getAttribute(self, "unix:uid")) : Optional.empty();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return Optional.empty();
        }
    }
}
