package dev.mixtral4j.backend.llamacpp;

import dev.mixtral4j.PrivateFolders;
import dev.mixtral4j.spi.ProgressListener;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The llama.cpp libraries the build packaged into this jar, under
 * {@code native/llama.cpp/<version>/<platform>/} with an {@code index.txt} listing them
 * ({@code <sha256> <size> <name>} per line). They are extracted once into a cache folder whose
 * name carries the version and a hash of the index, so two builds never share a folder and an
 * existing folder is always complete: it is written under a temporary name and renamed into
 * place, which is atomic, so two JVMs extracting at once both end up using one complete copy.
 * The folder is trusted only while it is this user's, writable by no one else, and holds exactly
 * the listed files with their recorded sha256 ({@link #contentProblem}), checked on every start.
 */
final class PackagedLibraries {
    static final String LLAMA_CPP_VERSION = "0.5.0";
    static final String RESOURCE_ROOT = "/native/llama.cpp/" + LLAMA_CPP_VERSION + "/";

    private PackagedLibraries() {
    }

    /** "linux-x64" etc., or null for a platform no build packages. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "mac" : os.startsWith("windows") ? "win" : os;
        String a = switch (arch) {
            case "amd64", "x86_64" -> "x64";
            case "aarch64", "arm64" -> "arm64";
            default -> arch;
        };
        return o + "-" + a;
    }

    /** The packaged index for this platform, or null when this jar has none. */
    static String index(String platform) throws IOException {
        try (InputStream in = PackagedLibraries.class.getResourceAsStream(RESOURCE_ROOT + platform + "/index.txt")) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Whether any platform's libraries were packaged (to tell "not packaged" from "not for this platform"). */
    static boolean anyPackaged() {
        return PackagedLibraries.class.getResource(RESOURCE_ROOT + "platforms.txt") != null;
    }

    static String packagedPlatforms() throws IOException {
        try (InputStream in = PackagedLibraries.class.getResourceAsStream(RESOURCE_ROOT + "platforms.txt")) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8).strip().replace('\n', ' ');
        }
    }

    /** Default cache root: see {@link PrivateFolders#cacheRoot()}. */
    static Path defaultCacheRoot() {
        return PrivateFolders.cacheRoot();
    }

    /**
     * Extracts the libraries listed in {@code index} into {@code cacheRoot/llama.cpp/<version>-<hash>/}
     * and returns that folder. An existing folder is used only after it proves to be this user's,
     * writable by nobody else, and to hold exactly the listed files with their recorded sha256
     * (ggml loads every {@code libggml-cpu-*.so} in the folder, so one file more is one library
     * more); a folder of ours that fails the content check is replaced, one that is not ours is
     * refused.
     */
    static Path extract(String platform, String index, Path cacheRoot) throws IOException {
        List<Entry> entries = parse(index);
        PrivateFolders.createRoot(cacheRoot);
        Path parent = PrivateFolders.create(cacheRoot.resolve("llama.cpp"));
        Path target = parent.resolve(LLAMA_CPP_VERSION + "-" + platform + "-" + sha256(index).substring(0, 16));
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            refuseUntrusted(target);
            if (contentProblem(target, entries).isEmpty()) {
                return target;
            }
            // ours but not what we wrote (edited, half-deleted): set aside, extract afresh
            Path stale = Files.createTempDirectory(parent, ".stale-");
            try {
                Files.move(target, stale.resolve("old"), StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException gone) {
                // another JVM replaced it first
            }
            deleteTree(stale);
        }
        Path tmp = Files.createTempDirectory(parent, ".extract-");
        ProgressListener progress = ProgressListener.current();
        String task = "extracting llama.cpp " + LLAMA_CPP_VERSION + " libraries";
        long total = entries.stream().mapToLong(Entry::size).sum();
        long[] done = {0};
        progress.progress(task, 0, total);
        try {
            for (Entry e : entries) {
                String resource = RESOURCE_ROOT + platform + "/" + e.name();
                try (InputStream in = PackagedLibraries.class.getResourceAsStream(resource)) {
                    if (in == null) {
                        throw new IOException("packaged library " + resource + " listed in the index is missing from the jar");
                    }
                    copy(in, tmp.resolve(e.name()), n -> {
                        // the index is checked against the copy below: never report past the total
                        done[0] = Math.min(total, done[0] + n);
                        progress.progress(task, done[0], total);
                    });
                }
                if (Files.getFileStore(tmp).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class)) {
                    Files.setPosixFilePermissions(tmp.resolve(e.name()), PrivateFolders.OWNER_ONLY);
                }
                long size = Files.size(tmp.resolve(e.name()));
                if (size != e.size()) {
                    throw new IOException("packaged library " + resource + " has " + size + " bytes, index says " + e.size());
                }
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                // rename(2) onto a non-empty folder fails with ENOTEMPTY (not always mapped to a
                // DirectoryNotEmptyException): the folder being there is what matters
                if (!Files.isDirectory(target)) {
                    throw raced;
                }
                // another JVM finished first: its copy is checked below like any other
            }
        } finally {
            deleteTree(tmp);
        }
        if (done[0] < total) {
            progress.progress(task, total, total);
        }
        refuseUntrusted(target);
        Optional<String> content = contentProblem(target, entries);
        if (content.isPresent()) {
            throw new IOException("llama.cpp libraries in " + target + " do not match this jar: " + content.get());
        }
        return target;
    }

    /** Copies {@code in} to a new file {@code to}, telling {@code copied} each chunk's size. */
    private static void copy(InputStream in, Path to, java.util.function.LongConsumer copied) throws IOException {
        try (java.io.OutputStream out = Files.newOutputStream(to, java.nio.file.StandardOpenOption.CREATE_NEW)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                copied.accept(n);
            }
        }
    }

    private static void refuseUntrusted(Path dir) throws IOException {
        Optional<String> why = PrivateFolders.problem(dir);
        if (why.isPresent()) {
            throw new IOException("refusing the llama.cpp library folder: " + why.get()
                    + "; choose another cache with -Dmixtral4j.cache=DIR");
        }
    }

    /** Why the folder's files are not exactly the listed ones with their sizes and sha256, or empty. */
    static Optional<String> contentProblem(Path dir, List<Entry> entries) throws IOException {
        Set<String> expected = new TreeSet<>();
        for (Entry e : entries) {
            expected.add(e.name());
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                if (!expected.contains(f.getFileName().toString())) {
                    return Optional.of("unexpected file " + f.getFileName() + " (ggml would load it)");
                }
            }
        }
        for (Entry e : entries) {
            Path f = dir.resolve(e.name());
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.of(e.name() + " is missing or not a regular file");
            }
            Optional<String> trust = PrivateFolders.problem(f);
            if (trust.isPresent()) {
                return trust;
            }
            if (Files.size(f) != e.size()) {
                return Optional.of(e.name() + " has " + Files.size(f) + " bytes, recorded " + e.size());
            }
            String sha = sha256(f);
            if (!sha.equalsIgnoreCase(e.sha256())) {
                return Optional.of(e.name() + " has sha256 " + sha + ", recorded " + e.sha256());
            }
        }
        return Optional.empty();
    }

    private static String sha256(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    record Entry(String sha256, long size, String name) {
    }

    static List<Entry> parse(String index) throws IOException {
        List<Entry> entries = new ArrayList<>();
        for (String line : index.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] f = l.split("\\s+");
            if (f.length != 3 || f[2].contains("/") || f[2].startsWith(".")) {
                throw new IOException("bad line in packaged llama.cpp index: " + l);
            }
            try {
                entries.add(new Entry(f[0], Long.parseLong(f[1]), f[2]));
            } catch (NumberFormatException e) {
                throw new IOException("bad size in packaged llama.cpp index: " + l, e);
            }
        }
        if (entries.isEmpty()) {
            throw new IOException("packaged llama.cpp index lists no libraries");
        }
        return entries;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
