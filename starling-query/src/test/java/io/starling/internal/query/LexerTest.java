package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LexerTest {

    private static String kinds(String src) {
        return Lexer.tokenize(src).stream().map(t -> t.type() + ":" + t.text()).collect(Collectors.joining(" "));
    }

    private static Token only(String src) {
        List<Token> toks = Lexer.tokenize(src);
        assertThat(toks).hasSize(2);
        return toks.get(0);
    }

    @Test
    void wordsSymbolsAndNumbers() {
        assertThat(kinds("SELECT a.b, `x y` FROM c WHERE n >= 1.5e3 || 'q'"))
                .isEqualTo("WORD:SELECT WORD:a SYMBOL:. WORD:b SYMBOL:, QUOTED_IDENT:x y WORD:FROM WORD:c WORD:WHERE "
                        + "WORD:n SYMBOL:>= DECIMAL:1.5e3 SYMBOL:|| STRING:q EOF:");
        assertThat(kinds("a==b!=c<>d<=e<f>g>=h"))
                .contains(
                        "SYMBOL:== ", "SYMBOL:!= ", "SYMBOL:<> ", "SYMBOL:<= ", "SYMBOL:< ", "SYMBOL:> ", "SYMBOL:>= ");
        assertThat(kinds("42 4.2 4e2 4E-2 4.5E+3"))
                .isEqualTo("INTEGER:42 DECIMAL:4.2 DECIMAL:4e2 DECIMAL:4E-2 DECIMAL:4.5E+3 EOF:");
        assertThat(kinds(":name {'k': 1}"))
                .isEqualTo("SYMBOL:: WORD:name SYMBOL:{ STRING:k SYMBOL:: INTEGER:1 SYMBOL:} EOF:");
    }

    @Test
    void aDotAfterANumberIsNotAFraction() {
        assertThat(kinds("a[0].b")).isEqualTo("WORD:a SYMBOL:[ INTEGER:0 SYMBOL:] SYMBOL:. WORD:b EOF:");
        assertThat(kinds("5.x")).isEqualTo("INTEGER:5 SYMBOL:. WORD:x EOF:");
    }

    @Test
    void stringEscapes() {
        assertThat(only("'it''s'").text()).isEqualTo("it's");
        assertThat(only("\"say \"\"hi\"\"\"").text()).isEqualTo("say \"hi\"");
        assertThat(only("'a\\'b'").text()).isEqualTo("a'b");
        assertThat(only("'\\n\\t\\r\\b\\f\\\\\\/\\\"'").text()).isEqualTo("\n\t\r\b\f\\/\"");
        assertThat(only("'\\u00e9\\u0041'").text()).isEqualTo("éA");
        assertThat(only("'\\d+\\.'").text())
                .as("unknown escapes are kept verbatim")
                .isEqualTo("\\d+\\.");
        assertThat(only("'two\nlines'").text()).isEqualTo("two\nlines");
        assertThat(only("\"double\"").type()).isEqualTo(Token.Type.STRING);
    }

    @Test
    void backtickIdentifiers() {
        Token t = only("`we``ird field`");
        assertThat(t.type()).isEqualTo(Token.Type.QUOTED_IDENT);
        assertThat(t.text()).isEqualTo("we`ird field");
    }

    @Test
    void commentsAreSkippedAndPositionsCounted() {
        List<Token> toks = Lexer.tokenize("-- first line\n  /* a\n block */ SELECT\n\tx");
        assertThat(toks.get(0).text()).isEqualTo("SELECT");
        assertThat(toks.get(0).line()).isEqualTo(3);
        assertThat(toks.get(0).column()).isEqualTo(11);
        assertThat(toks.get(1).line()).isEqualTo(4);
        assertThat(toks.get(1).column()).isEqualTo(2);
        assertThat(toks.get(2).type()).isEqualTo(Token.Type.EOF);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '^',
            value = {
                "SELECT 'abc                | line 1, column 8: unterminated string",
                "SELECT \"abc               | line 1, column 8: unterminated string",
                "SELECT `abc                | line 1, column 8: unterminated quoted identifier",
                "SELECT /* never closed     | line 1, column 8: unterminated comment",
                "SELECT 1abc                | line 1, column 8: malformed number '1abc'",
                "SELECT 1.2.3               | line 1, column 8: malformed number '1.2.3'",
                "SELECT 1e                  | line 1, column 8: malformed number '1e'",
                "SELECT 1e+ FROM c          | line 1, column 8: malformed number '1e+'",
                "SELECT 1e-x                | line 1, column 8: malformed number '1e-'",
                "SELECT 1else               | line 1, column 8: malformed number '1else'",
                "SELECT a ! b               | line 1, column 10: unexpected character '!'",
                "SELECT a & b               | line 1, column 10: unexpected character '&'",
                "SELECT '\\u12'             | line 1, column 9: malformed \\u escape in string",
                "SELECT ``                  | line 1, column 8: empty quoted identifier",
            })
    void errorsAreSyntaxWithPosition(String src, String message) {
        assertThatThrownBy(() -> Lexer.tokenize(src))
                .isInstanceOf(DqlException.class)
                .hasMessage(message)
                .matches(e -> ((DqlException) e).kind() == DqlException.Kind.SYNTAX);
    }

    @Test
    void unterminatedStringReportsWhereItStarted() {
        DqlException e = (DqlException) org.assertj.core.api.Assertions.catchThrowable(
                () -> Lexer.tokenize("SELECT *\nFROM c WHERE a = 'x\n\n"));
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.column()).isEqualTo(18);
    }
}
