package io.starling.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Keeps sqlite-jdbc's native library extracted in a directory of its own, so that a short command does not pay for
 * extracting it again.
 *
 * <p>Left alone, sqlite-jdbc copies its 1 MB library out of the jar into the temp directory on every start (under a
 * new random name), compares the copy byte by byte with the original, spawns {@code uname} to tell Android from
 * Linux and lists the temp directory to clean up earlier copies: about a tenth of a second of an {@code exec}, and a
 * copy left behind by every process that is killed. Here the library is extracted once per sqlite-jdbc version,
 * operating system and architecture into {@code DIR/sqlite-<version>-<os>-<arch>/} (through a temporary file and an
 * atomic rename, so concurrent first runs are safe and no one ever loads half a file), and sqlite-jdbc is pointed at
 * it with {@code org.sqlite.lib.path} and {@code org.sqlite.lib.name}. If the cached file cannot be loaded, sqlite-jdbc
 * falls back to extracting it as usual.
 *
 * <p>{@code bin/starling} passes the directory as the system property {@value #PROPERTY}; without it, or when
 * {@code org.sqlite.lib.path} is already set, nothing changes. Failures only cost the saving: nothing here throws.
 */
final class NativeLibraryCache {
    /** The system property naming the directory, set by {@code bin/starling}. */
    static final String PROPERTY = "starling.native.dir";

    static final String LIB_PATH = "org.sqlite.lib.path";
    static final String LIB_NAME = "org.sqlite.lib.name";

    private NativeLibraryCache() {}

    /** Uses the directory named by {@value #PROPERTY}, if any. */
    static void useFromSystemProperty() {
        String dir = System.getProperty(PROPERTY);
        if (dir == null || dir.isBlank() || System.getProperty(LIB_PATH) != null) return;
        Path library = ensureExtracted(Path.of(dir).toAbsolutePath());
        Path folder = library == null ? null : library.getParent();
        if (library == null || folder == null) return;
        System.setProperty(LIB_PATH, folder.toString());
        System.setProperty(LIB_NAME, library.getFileName().toString());
    }

    /**
     * The library extracted under {@code dir}, extracting it first when it is not there yet; null when that is not
     * possible (no library for this platform in the jar, an unwritable directory, …).
     */
    static @Nullable Path ensureExtracted(Path dir) {
        try {
            String name = org.sqlite.util.LibraryLoaderUtil.getNativeLibName();
            Path folder = dir.resolve(fileName("sqlite-" + org.sqlite.SQLiteJDBCLoader.getVersion() + "-"
                    + System.getProperty("os.name") + "-" + System.getProperty("os.arch")));
            Path library = folder.resolve(name);
            if (Files.isRegularFile(library) && Files.size(library) > 0) return library;
            // only now ask sqlite-jdbc where its library lies in the jar (that is the part that spawns uname)
            String resource = org.sqlite.util.LibraryLoaderUtil.getNativeLibResourcePath() + "/" + name;
            try (InputStream in = NativeLibraryCache.class.getResourceAsStream(resource)) {
                if (in == null) return null;
                Files.createDirectories(folder);
                Path partial = Files.createTempFile(folder, name, ".partial");
                try {
                    Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                    if (!partial.toFile().setExecutable(true)) return null; // some systems map only executables
                    moveIntoPlace(partial, library);
                } finally {
                    Files.deleteIfExists(partial);
                }
            }
            return library;
        } catch (IOException | RuntimeException | LinkageError e) {
            return null; // sqlite-jdbc extracts the library itself, as it would without the cache
        }
    }

    private static void moveIntoPlace(Path partial, Path library) throws IOException {
        try {
            Files.move(partial, library, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(partial, library, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** {@code text} with anything but letters, digits, '.', '_' and '-' replaced, fit to be one file name. */
    static String fileName(String text) {
        return text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "_");
    }
}
