package io.starling.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The repository's docs and comments stand alone: they state a rule or point to the project's own docs, never to a
 * brief a reader does not have (a design document's numbered sections) or to the issue a change came from.
 */
class DocsStandAloneTest {
    /** Built from parts, so that this file does not match itself. */
    private static final Pattern OUTSIDE_REFERENCE = Pattern.compile(String.join(
            "|",
            "DESIGN" + "\\.md",
            "\u00a7\\s*\\d",
            "\\b[Ii]ssues? #?\\d+",
            "\\b(?:sync|later|next|networking|this|that|the) issues?\\b(?! (?:them|it|a|an)\\b)"));

    private static final Set<String> SKIPPED_DIRECTORIES =
            Set.of(".git", "target", "node_modules", "results", ".idea", ".jqwik-database");
    private static final Set<String> TEXT_ENDINGS =
            Set.of(".java", ".md", ".xml", ".sh", ".mjs", ".js", ".properties", ".txt", ".api");

    @Test
    void noDocOrCommentCitesABriefOrAnIssue() throws IOException {
        Path root = root();
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile)
                    .filter(f -> root.relativize(f).toString().chars().noneMatch(c -> c == '\0'))
                    .filter(f -> included(root.relativize(f)))
                    .toList()) {
                String text;
                try {
                    text = Files.readString(f, StandardCharsets.UTF_8);
                } catch (MalformedInputException notText) {
                    continue;
                }
                String[] lines = text.split("\n", -1);
                for (int i = 0; i < lines.length; i++) {
                    Matcher m = OUTSIDE_REFERENCE.matcher(lines[i]);
                    if (m.find()) found.add(root.relativize(f) + ":" + (i + 1) + ": " + lines[i].strip());
                }
            }
        }
        assertThat(found)
                .as("lines that cite a design brief or an issue instead of stating the rule or pointing to docs/")
                .isEmpty();
    }

    @Test
    void thePatternFindsWhatItIsFor() {
        assertThat(OUTSIDE_REFERENCE
                        .matcher("the exit status (" + "DESIGN" + ".md \u00a7" + "8)")
                        .find())
                .isTrue();
        assertThat(OUTSIDE_REFERENCE.matcher("budgets of issue " + "4").find()).isTrue();
        assertThat(OUTSIDE_REFERENCE
                        .matcher("the simulator (sync " + "issue) runs")
                        .find())
                .isTrue();
        assertThat(OUTSIDE_REFERENCE.matcher("PouchDB issues them sequentially").find())
                .isFalse();
    }

    private static boolean included(Path relative) {
        for (Path part : relative) {
            if (SKIPPED_DIRECTORIES.contains(part.toString())) return false;
        }
        String name = relative.getFileName().toString();
        if (name.equals("package-lock.json")) return false;
        if (TEXT_ENDINGS.stream().anyMatch(name::endsWith)) return true;
        // scripts without an ending: bin/, bench/, .ci/
        Path parent = relative.getParent();
        return parent != null
                && !name.contains(".")
                && Set.of("bin", "bench", ".ci").contains(parent.toString());
    }

    private static Path root() {
        return BuildPaths.repositoryRoot(DocsStandAloneTest.class);
    }
}
