package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
        List<String> command = new ArrayList<>();
        command.add(script.toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().keySet().removeIf(name -> name.startsWith("STARLING_"));
        pb.environment().put("STARLING_HISTORY_FILE", dir.resolve("history").toString());
        pb.environment().putAll(env);
        Path in = Files.writeString(dir.resolve("stdin.txt"), stdin);
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        pb.redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process = pb.start();
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
}
