package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/starling} as a user runs it: through a symlink, from another directory, building the jar if it is
 * missing or stale (which takes a while, hence the tag: {@code mvn -Pslow -pl starling-cli test}).
 */
@Tag("slow")
class LauncherScriptTest {
    private static final long PROCESS_TIMEOUT_MINUTES = 15;

    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {}

    /** The repository root: surefire runs in the module directory. */
    private static Path repositoryRoot() {
        Path root = Path.of("").toAbsolutePath().getParent();
        assertThat(root.resolve("bin").resolve("starling"))
                .as("bin/starling under " + root)
                .isExecutable();
        return root;
    }

    private Run run(Path script, Map<String, String> env, String stdin, String... args)
            throws IOException, InterruptedException {
        return finish(start("", script, env, stdin, args), args);
    }

    /** Starts bin/starling (or a copy) with its streams in files named after {@code name}. */
    private Started start(String name, Path script, Map<String, String> env, String stdin, String... args)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(script.toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().keySet().removeIf(variable -> variable.startsWith("STARLING_"));
        pb.environment().put("STARLING_HISTORY_FILE", dir.resolve("history").toString());
        pb.environment().putAll(env);
        Path in = Files.writeString(dir.resolve(name + "stdin.txt"), stdin);
        Path out = dir.resolve(name + "stdout.txt");
        Path err = dir.resolve(name + "stderr.txt");
        pb.redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        return new Started(pb.start(), out, err);
    }

    private record Started(Process process, Path out, Path err) {}

    private static Run finish(Started started, String... args) throws IOException, InterruptedException {
        Process process = started.process();
        Path out = started.out();
        Path err = started.err();
        if (!process.waitFor(PROCESS_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("bin/starling " + String.join(" ", args) + " did not finish in "
                    + PROCESS_TIMEOUT_MINUTES + " minutes; stderr: " + Files.readString(err));
        }
        return new Run(
                process.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    @Timeout(value = 40, unit = TimeUnit.MINUTES)
    void runsTheCliFromAnyDirectoryThroughASymlink() throws Exception {
        Path script = repositoryRoot().resolve("bin").resolve("starling");
        Path link = Files.createSymbolicLink(dir.resolve("starling-link"), script);
        Path db = dir.resolve("db");

        // first run: may build (one line on stderr), then runs; --db defaults to STARLING_DB_PATH
        Run insert = run(
                link,
                Map.of("STARLING_DB_PATH", db.toString()),
                "",
                "exec",
                "INSERT INTO cars DOCUMENTS ({'_id': 'a', 'make': 'Ford'})");
        assertThat(insert.exitCode()).as(insert.err()).isZero();
        assertThat(insert.out()).isEqualTo("{\"items\":[],\"mutatedDocumentIds\":[\"a\"]}\n");
        assertThat(insert.err()).matches("((re)?building starling [^\n]*…\n)?");

        // now the jar is fresh: nothing but the output
        Run select =
                run(script, Map.of(), "", "exec", "--db", db.toString(), "--format", "table", "SELECT * FROM cars");
        assertThat(select.err()).isEmpty();
        assertThat(select.exitCode()).isZero();
        assertThat(select.out()).isEqualTo("_id | make\n----+-----\na   | Ford\n(1 row)\n");

        Run syntax = run(script, Map.of(), "", "exec", "--db", db.toString(), "SELECT * FORM cars");
        assertThat(syntax.exitCode()).isEqualTo(2);
        assertThat(syntax.err()).startsWith("error: query/syntax-error: line 1, column 10: ");
        assertThat(syntax.err().lines()).hasSize(1);

        Run version = run(script, Map.of(), "", "--version");
        assertThat(version.exitCode()).isZero();
        assertThat(version.out()).startsWith("starling ");

        Run unknown = run(script, Map.of(), "", "exec", "--nope", "SELECT 1");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("Unknown option: '--nope'");

        // the shell with piped input: results only, no terminal junk, history kept where asked
        Run shell =
                run(script, Map.of("STARLING_DB_PATH", db.toString()), "SELECT _id\n  FROM cars;\n.quit\n", "shell");
        assertThat(shell.err()).isEmpty();
        assertThat(shell.exitCode()).isZero();
        assertThat(shell.out()).isEqualTo("_id\n---\na\n(1 row)\n");
        assertThat(dir.resolve("history")).exists();

        Files.delete(link); // JUnit would warn about deleting a link that leads out of the temp dir
    }

    /**
     * The start-up options of bin/starling (docs/CLI.md, "Start-up"), on a copy of the script beside a copy of the
     * jar, so that the repository's own cache is left alone: the class-data sharing archive is made once, used (the
     * JVM reports classes from the "shared objects file"), made again when the jar is newer, ignored when damaged,
     * made once by concurrent first runs, and not at all with STARLING_FAST_START=0.
     */
    @Test
    @Timeout(value = 40, unit = TimeUnit.MINUTES)
    void fastStartArchiveIsMadeOnceRemadeForANewerJarAndIgnoredWhenDamaged() throws Exception {
        Path root = repositoryRoot();
        Run built = run(root.resolve("bin").resolve("starling"), Map.of(), "", "--version"); // builds if needed
        assertThat(built.exitCode()).as(built.err()).isZero();
        Path jar;
        try (Stream<Path> jars = Files.list(root.resolve("starling-cli").resolve("target"))) {
            jar = jars.filter(p -> p.getFileName().toString().endsWith("-all.jar"))
                    .findFirst()
                    .orElseThrow();
        }
        Path copy = dir.resolve("repo");
        Path script = Files.copy(
                root.resolve("bin").resolve("starling"),
                Files.createDirectories(copy.resolve("bin")).resolve("starling"),
                StandardCopyOption.COPY_ATTRIBUTES);
        Path target = Files.createDirectories(copy.resolve("starling-cli").resolve("target"));
        Path copiedJar = Files.copy(jar, target.resolve(jar.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
        Path cache = target.resolve("fast-start");
        Path db = dir.resolve("db");
        String select = "SELECT * FROM cars WHERE _id = 'a'";
        String row = "{\"items\":[{\"_id\":\"a\",\"make\":\"Ford\"}],\"mutatedDocumentIds\":[]}\n";

        // first run: makes the archive (silently) and the native library's copy, then runs
        Run insert = run(
                script,
                Map.of(),
                "",
                "exec",
                "--db",
                db.toString(),
                "INSERT INTO cars DOCUMENTS ({'_id': 'a', 'make': 'Ford'})");
        assertThat(insert.err()).isEmpty();
        assertThat(insert.exitCode()).isZero();
        Path archive = onlyArchive(cache);
        assertThat(archive.resolveSibling(archive.getFileName() + ".failed")).doesNotExist();
        try (Stream<Path> natives = Files.walk(cache.resolve("native"))) {
            assertThat(natives.filter(p -> p.getFileName().toString().contains("sqlitejdbc")))
                    .hasSize(1);
        }

        // later runs map it: the CLI's classes come from the archive
        assertThat(classSource(script, db, select, row)).isEqualTo("shared objects file");
        FileTime made = Files.getLastModifiedTime(archive);

        // a jar newer than the archive (a rebuild) gets a new archive
        Files.setLastModifiedTime(
                archive,
                FileTime.fromMillis(Files.getLastModifiedTime(copiedJar).toMillis() - 60_000));
        assertThat(classSource(script, db, select, row)).isEqualTo("shared objects file");
        assertThat(onlyArchive(cache)).isEqualTo(archive);
        assertThat(Files.getLastModifiedTime(archive)).isGreaterThan(Files.getLastModifiedTime(copiedJar));
        assertThat(Files.getLastModifiedTime(archive)).isGreaterThanOrEqualTo(made);

        // a damaged archive (still newer than the jar) is refused by the JVM's checksum: the run goes on without it
        byte[] bytes = Files.readAllBytes(archive);
        for (int i = bytes.length / 3; i < bytes.length / 3 + 65_536; i++) bytes[i] = (byte) (bytes[i] ^ 0x5a);
        archive.toFile().setWritable(true);
        Files.write(archive, bytes);
        assertThat(classSource(script, db, select, row)).startsWith("file:");
        Files.writeString(archive, "not an archive");
        assertThat(classSource(script, db, select, row)).startsWith("file:");

        // STARLING_FAST_START=0: plain java -jar, no archive made
        deleteTree(cache);
        Run plain = run(script, Map.of("STARLING_FAST_START", "0"), "", "exec", "--db", db.toString(), select);
        assertThat(plain.err()).isEmpty();
        assertThat(plain.out()).isEqualTo(row);
        assertThat(cache).doesNotExist();

        // concurrent first runs: all answer, one archive, nothing half-made left behind
        List<Started> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++)
            runs.add(start(
                    "concurrent" + i,
                    script,
                    Map.of(),
                    "",
                    "exec",
                    "--db",
                    dir.resolve("db" + i).toString(),
                    "SELECT * FROM cars"));
        for (Started started : runs) {
            Run r = finish(started, "exec");
            assertThat(r.err()).isEmpty();
            assertThat(r.exitCode()).isZero();
            assertThat(r.out()).isEqualTo("{\"items\":[],\"mutatedDocumentIds\":[]}\n");
        }
        onlyArchive(cache);
        try (Stream<Path> left = Files.list(cache)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("tmp."));
        }
    }

    /** Runs the SELECT with the JVM logging class loads, checks its output, and says where ExecCommand came from. */
    private String classSource(Path script, Path db, String select, String expected) throws Exception {
        Path log = dir.resolve("class-load.log");
        Files.deleteIfExists(log);
        Run r = run(
                script,
                Map.of("STARLING_JAVA_OPTS", "-Xlog:class+load=info:file=" + log),
                "",
                "exec",
                "--db",
                db.toString(),
                select);
        assertThat(r.err()).isEmpty();
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo(expected);
        String marker = "io.starling.cli.ExecCommand source: ";
        return Files.readAllLines(log).stream()
                .filter(line -> line.contains(marker))
                .map(line -> line.substring(line.indexOf(marker) + marker.length()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("ExecCommand was not loaded? " + log));
    }

    private static Path onlyArchive(Path cache) throws IOException {
        try (Stream<Path> files = Files.list(cache)) {
            List<Path> archives = files.filter(p -> p.getFileName().toString().endsWith(".jsa"))
                    .toList();
            assertThat(archives).hasSize(1);
            return archives.get(0);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
