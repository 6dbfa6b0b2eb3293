package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sqlite-jdbc's native library, extracted once into the launcher's directory and reused. */
class NativeLibraryCacheTest {
    @TempDir
    Path dir;

    @Test
    void extractsTheLibraryOnceAndReusesIt() throws Exception {
        Path library = NativeLibraryCache.ensureExtracted(dir.resolve("native"));
        assertThat(library).isNotNull();
        assertThat(library).startsWith(dir.resolve("native")).isRegularFile();
        assertThat(library.getParent().getFileName().toString())
                .startsWith("sqlite-" + org.sqlite.SQLiteJDBCLoader.getVersion() + "-");
        String resource = org.sqlite.util.LibraryLoaderUtil.getNativeLibResourcePath() + "/"
                + org.sqlite.util.LibraryLoaderUtil.getNativeLibName();
        try (InputStream in = NativeLibraryCacheTest.class.getResourceAsStream(resource)) {
            assertThat(in).isNotNull();
            assertThat(Files.readAllBytes(library)).isEqualTo(in.readAllBytes());
        }
        try (var files = Files.list(library.getParent())) {
            assertThat(files).containsExactly(library); // no partial file left behind
        }

        FileTime past = FileTime.from(Instant.parse("2020-01-01T00:00:00Z"));
        Files.setLastModifiedTime(library, past);
        assertThat(NativeLibraryCache.ensureExtracted(dir.resolve("native"))).isEqualTo(library);
        assertThat(Files.getLastModifiedTime(library)).isEqualTo(past); // reused, not written again
    }

    @Test
    void anEmptyFileIsReplaced() throws Exception {
        Path library = NativeLibraryCache.ensureExtracted(dir);
        assertThat(library).isNotNull();
        Files.write(library, new byte[0]); // e.g. a disk that filled up
        assertThat(NativeLibraryCache.ensureExtracted(dir)).isEqualTo(library);
        assertThat(Files.size(library)).isPositive();
    }

    @Test
    void aDirectoryThatCannotBeMadeGivesNothing() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "in the way");
        assertThat(NativeLibraryCache.ensureExtracted(file)).isNull();
    }

    @Test
    void fileNamesKeepOnlySafeCharacters() {
        assertThat(NativeLibraryCache.fileName("sqlite-3.53.4.0-Mac OS X-aarch64"))
                .isEqualTo("sqlite-3.53.4.0-mac_os_x-aarch64");
        assertThat(NativeLibraryCache.fileName("../x/y")).isEqualTo(".._x_y");
    }
}
