package io.starling.cli;

import java.util.List;
import org.jline.reader.CompletingParsedLine;
import org.jline.reader.EOFError;
import org.jline.reader.ParsedLine;
import org.jline.reader.Parser;

/**
 * Tells JLine when the shell's input is complete — a dot-command at the end of its line, a statement at its
 * {@code ;} — and which word the cursor is on, for completion. Until the input is complete Enter adds a line and
 * shows the continuation prompt, so a multi-line statement is edited, cancelled (Ctrl-C) and stored in the history
 * as one entry. Stateless and thread-safe.
 */
final class ShellLineParser implements Parser {

    @Override
    public ParsedLine parse(String line, int cursor, ParseContext context) {
        if (context == ParseContext.ACCEPT_LINE
                && !Shell.isDotCommand(line)
                && StatementSplitter.split(line).incomplete()) {
            throw new EOFError(-1, -1, "the statement goes on until ';'", ";");
        }
        int start = wordStart(line, cursor);
        return new Line(line, cursor, line.substring(start, wordEnd(line, cursor)), cursor - start);
    }

    /** Characters of a word to complete: identifiers, paths ({@code a.b}), {@code system:…} and {@code .commands}. */
    static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == ':' || c == '`';
    }

    static int wordStart(String line, int cursor) {
        int i = Math.min(cursor, line.length());
        while (i > 0 && isWordChar(line.charAt(i - 1))) i--;
        return i;
    }

    private static int wordEnd(String line, int cursor) {
        int i = Math.min(cursor, line.length());
        while (i < line.length() && isWordChar(line.charAt(i))) i++;
        return i;
    }

    /**
     * The input and the word at the cursor. A {@link CompletingParsedLine}, so that JLine replaces exactly that word
     * with a completion (and does not warn on stderr about the parser).
     */
    private record Line(String line, int cursor, String word, int wordCursor) implements CompletingParsedLine {
        @Override
        public int wordIndex() {
            return 0;
        }

        @Override
        public List<String> words() {
            return List.of(word);
        }

        @Override
        public CharSequence escape(CharSequence candidate, boolean complete) {
            return candidate;
        }

        @Override
        public int rawWordCursor() {
            return wordCursor;
        }

        @Override
        public int rawWordLength() {
            return word.length();
        }
    }
}
