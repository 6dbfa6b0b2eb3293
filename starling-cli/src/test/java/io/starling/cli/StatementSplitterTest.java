package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.cli.StatementSplitter.Split;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class StatementSplitterTest {

    private static Split split(String text) {
        return StatementSplitter.split(text);
    }

    @Test
    void oneStatement() {
        assertThat(split("SELECT * FROM c;")).isEqualTo(new Split(List.of("SELECT * FROM c"), ""));
    }

    @Test
    void severalStatementsOnOneLine() {
        assertThat(split("SELECT 1 FROM a; SELECT 2 FROM b;").statements())
                .containsExactly("SELECT 1 FROM a", "SELECT 2 FROM b");
    }

    @Test
    void statementSpanningLines() {
        Split s = split("SELECT *\n  FROM c\n  WHERE a = 1;\n");
        assertThat(s.statements()).containsExactly("SELECT *\n  FROM c\n  WHERE a = 1");
        assertThat(s.incomplete()).isFalse();
    }

    @Test
    void withoutSemicolonTheStatementIsIncomplete() {
        Split s = split("SELECT *\n  FROM c");
        assertThat(s.statements()).isEmpty();
        assertThat(s.incomplete()).isTrue();
        assertThat(s.remainder()).isEqualTo("SELECT *\n  FROM c");
    }

    @Test
    void textAfterTheLastSemicolonIsTheRemainder() {
        Split s = split("DELETE FROM c WHERE a = 1; SELECT *");
        assertThat(s.statements()).containsExactly("DELETE FROM c WHERE a = 1");
        assertThat(s.remainder()).isEqualTo("SELECT *");
    }

    @Test
    void semicolonInsideSingleQuotedString() {
        assertThat(split("SELECT * FROM c WHERE a = 'x;y';").statements())
                .containsExactly("SELECT * FROM c WHERE a = 'x;y'");
    }

    @Test
    void semicolonInsideDoubleQuotedString() {
        assertThat(split("SELECT * FROM c WHERE a = \"x;y\";").statements())
                .containsExactly("SELECT * FROM c WHERE a = \"x;y\"");
    }

    @Test
    void doubledQuotesStayInsideTheString() {
        assertThat(split("SELECT * FROM c WHERE a = 'it''s; fine';").statements())
                .containsExactly("SELECT * FROM c WHERE a = 'it''s; fine'");
        assertThat(split("SELECT \"say \"\"hi;\"\"\" FROM c;").statements())
                .containsExactly("SELECT \"say \"\"hi;\"\"\" FROM c");
    }

    @Test
    void backslashEscapesTheQuote() {
        assertThat(split("SELECT 'a\\';b' FROM c;").statements()).containsExactly("SELECT 'a\\';b' FROM c");
        // an escaped backslash does not escape the quote after it
        assertThat(split("SELECT 'a\\\\'; SELECT 2;").statements()).containsExactly("SELECT 'a\\\\'", "SELECT 2");
    }

    @Test
    void otherQuoteInsideAStringIsPlainText() {
        assertThat(split("SELECT \"it's\" FROM c; SELECT 'say \"x' FROM c;").statements())
                .containsExactly("SELECT \"it's\" FROM c", "SELECT 'say \"x' FROM c");
    }

    @Test
    void semicolonInsideBacktickIdentifier() {
        assertThat(split("SELECT `a;b` FROM c;").statements()).containsExactly("SELECT `a;b` FROM c");
        assertThat(split("SELECT `a``;b` FROM c;").statements()).containsExactly("SELECT `a``;b` FROM c");
        // backslash means nothing between backticks
        assertThat(split("SELECT `a\\`; SELECT 2;").statements()).containsExactly("SELECT `a\\`", "SELECT 2");
    }

    @Test
    void semicolonInsideLineComment() {
        assertThat(split("SELECT * -- not; the end\nFROM c;").statements())
                .containsExactly("SELECT * -- not; the end\nFROM c");
    }

    @Test
    void lineCommentEndsAtTheNewline() {
        assertThat(split("SELECT 1 -- note\n; SELECT 2;").statements()).containsExactly("SELECT 1 -- note", "SELECT 2");
    }

    @Test
    void semicolonInsideBlockComment() {
        assertThat(split("SELECT /* a; b\n c; */ * FROM c;").statements())
                .containsExactly("SELECT /* a; b\n c; */ * FROM c");
    }

    @Test
    void quotesInsideCommentsOpenNoString() {
        assertThat(split("-- it's\nSELECT 1; /* don't */ SELECT 2;").statements())
                .containsExactly("-- it's\nSELECT 1", "/* don't */ SELECT 2");
    }

    @Test
    void commentMarkersInsideStringsAreText() {
        assertThat(split("SELECT '--;' FROM c; SELECT '/*;' FROM c;").statements())
                .containsExactly("SELECT '--;' FROM c", "SELECT '/*;' FROM c");
    }

    @Test
    void emptyAndCommentOnlyStatementsAreSkipped() {
        Split s = split(" ; ;; -- just a comment\n ; /* another */ ;");
        assertThat(s.statements()).isEmpty();
        assertThat(s.incomplete()).isFalse();
    }

    @Test
    void trailingCommentOrWhitespaceAfterTheLastStatementIsNotIncomplete() {
        assertThat(split("SELECT 1; -- done").incomplete()).isFalse();
        assertThat(split("SELECT 1; /* done */  \n").incomplete()).isFalse();
        assertThat(split("   \n ").incomplete()).isFalse();
        assertThat(split("").incomplete()).isFalse();
    }

    @Test
    void openStringCommentOrIdentifierIsIncomplete() {
        assertThat(split("SELECT 'abc;").incomplete()).isTrue();
        assertThat(split("SELECT \"abc;").incomplete()).isTrue();
        assertThat(split("SELECT `abc;").incomplete()).isTrue();
        assertThat(split("/* open; comment").incomplete()).isTrue();
        assertThat(split("SELECT 'it''s;").incomplete()).isTrue();
    }

    @Test
    void firstKeywordSkipsWhitespaceAndComments() {
        assertThat(StatementSplitter.firstKeyword("  insert into c documents ({})"))
                .isEqualTo("INSERT");
        assertThat(StatementSplitter.firstKeyword("-- a\n/* b */ Update c SET a = 1"))
                .isEqualTo("UPDATE");
        assertThat(StatementSplitter.firstKeyword("/* never closed")).isEmpty();
        assertThat(StatementSplitter.firstKeyword("(SELECT 1)")).isEmpty();
    }

    /** Joining statements with ';' and splitting again gives them back, whatever they quote or comment. */
    @Property(tries = 500)
    void splitUndoesJoin(@ForAll("statements") List<String> statements) {
        String joined = String.join(";\n", statements) + ";";
        List<String> expected = new ArrayList<>();
        for (String s : statements) expected.add(s.strip());
        assertThat(split(joined).statements()).containsExactlyElementsOf(expected);
        assertThat(split(joined).incomplete()).isFalse();
    }

    @Provide
    Arbitrary<List<String>> statements() {
        Arbitrary<String> fragment = Arbitraries.oneOf(
                Arbitraries.of("SELECT", "*", "FROM", "c", "WHERE", "a", "=", "1", "(", ")", "-", "/", "\n", " "),
                Arbitraries.of("'x;y'", "'it''s;'", "\"q;\"\"\"", "'a\\';'", "`id;``x`", "'--;'", "'/*'"),
                Arbitraries.of("-- c;'\n", "/* c; ' \" ` */"));
        Arbitrary<String> statement =
                fragment.list().ofMinSize(1).ofMaxSize(12).map(parts -> "SELECT " + String.join(" ", parts));
        return statement.list().ofMinSize(1).ofMaxSize(5);
    }
}
