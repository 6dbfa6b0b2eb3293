package io.starling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden DQL scripts (H2-style): {@code src/test/resources/dql/*.dql}, each run on a fresh database.
 *
 * <pre>
 * # a comment
 * &#64;args {"min": 3}                  -- named arguments for the next statement only
 * &gt; SELECT a FROM c                 -- a statement
 * ... WHERE a &gt; :min               -- '... ' continues it on another line
 * = {"items":[...],"mutatedDocumentIds":[...]}   -- expected QueryResult.toJson(), generated UUIDs shown as &lt;uuid&gt;
 * &gt; SELEC 1
 * ! query/syntax-error: line 1, column 1: ...     -- expected error: code, then message
 * </pre>
 *
 * Run with {@code -Dgolden.update=true} to rewrite the expectations from the current behaviour — then read
 * the diff line by line before committing it: the files are the specification.
 */
class GoldenDqlTest {
    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.USE_LONG_FOR_INTS, true);
    private static final boolean UPDATE = Boolean.getBoolean("golden.update");
    private static final java.util.regex.Pattern UUID =
            java.util.regex.Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    @TestFactory
    Stream<DynamicTest> scripts() throws IOException, URISyntaxException {
        Path dirInTarget = Path.of(GoldenDqlTest.class.getResource("/dql").toURI());
        List<Path> files;
        try (Stream<Path> s = Files.list(dirInTarget)) {
            files = s.filter(p -> p.toString().endsWith(".dql")).sorted().toList();
        }
        assertThat(files).as("golden scripts").isNotEmpty();
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> run(f)));
    }

    /** Counts cases across all scripts: at least 150, so that a script lost or emptied by mistake fails here. */
    @TestFactory
    Stream<DynamicTest> enoughCases() throws IOException, URISyntaxException {
        Path dir = Path.of(GoldenDqlTest.class.getResource("/dql").toURI());
        long cases;
        try (Stream<Path> s = Files.list(dir)) {
            cases = s.filter(p -> p.toString().endsWith(".dql"))
                    .flatMap(GoldenDqlTest::lines)
                    .filter(l -> l.startsWith("= ") || l.startsWith("! "))
                    .count();
        }
        long n = cases;
        return Stream.of(DynamicTest.dynamicTest(
                "at least 150 cases (" + n + ")", () -> assertThat(n).isGreaterThanOrEqualTo(150)));
    }

    private static Stream<String> lines(Path p) {
        try {
            return Files.readAllLines(p, StandardCharsets.UTF_8).stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void run(Path script) throws IOException {
        List<String> lines = Files.readAllLines(script, StandardCharsets.UTF_8);
        List<String> rewritten = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        Path db = Files.createTempDirectory("golden");
        try (Starling starling =
                Starling.open(StarlingConfig.builder().databaseDirectory(db).build())) {
            Map<String, Object> args = Map.of();
            int i = 0;
            while (i < lines.size()) {
                String line = lines.get(i);
                if (line.startsWith("@args ")) {
                    args = JSON.readValue(line.substring(6), new TypeReference<Map<String, Object>>() {});
                    rewritten.add(line);
                    i++;
                    continue;
                }
                if (!line.startsWith("> ")) {
                    rewritten.add(line);
                    i++;
                    continue;
                }
                int statementLine = i + 1;
                StringBuilder statement = new StringBuilder(line.substring(2));
                rewritten.add(line);
                i++;
                while (i < lines.size() && lines.get(i).startsWith("... ")) {
                    statement.append('\n').append(lines.get(i).substring(4));
                    rewritten.add(lines.get(i));
                    i++;
                }
                String actual;
                try {
                    actual = "= "
                            + starling.store()
                                    .execute(statement.toString(), args)
                                    .toJson();
                } catch (StarlingException e) {
                    actual = "! " + e.errorCode().code() + ": " + e.getMessage();
                }
                actual = UUID.matcher(actual).replaceAll("<uuid>"); // generated ids differ run to run
                args = Map.of();
                String expected = i < lines.size()
                                && (lines.get(i).startsWith("= ")
                                        || lines.get(i).startsWith("! "))
                        ? lines.get(i)
                        : null;
                if (expected != null) i++;
                rewritten.add(actual);
                if (!actual.equals(expected)) {
                    failures.add(script.getFileName() + ":" + statementLine + "\n  statement: " + statement
                            + "\n  expected:  " + expected + "\n  actual:    " + actual);
                }
            }
        } finally {
            deleteRecursively(db);
        }
        if (UPDATE) {
            Path source = Path.of("src/test/resources/dql").resolve(script.getFileName());
            Files.write(source, rewritten, StandardCharsets.UTF_8);
            return;
        }
        if (!failures.isEmpty()) fail(failures.size() + " golden case(s) differ:\n" + String.join("\n", failures));
    }

    private static void deleteRecursively(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
