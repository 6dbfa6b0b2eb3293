package io.starling.cli;

import java.util.List;
import org.jline.reader.CompletingParsedLine;
import org.jline.reader.EOFError;
import org.jline.reader.ParsedLine;
import org.jline.reader.Parser;

/**
 * Tells JLine when the shell's input is complete: a dot-command at the end of its line, a statement at its
 * {@code ;}. Until then Enter adds a line and shows the continuation prompt, so a multi-line statement is edited,
 * cancelled (Ctrl-C) and stored in the history as one entry. Words are not split: the shell has no completion.
 */
final class ShellLineParser implements Parser {

    @Override
    public ParsedLine parse(String line, int cursor, ParseContext context) {
        if (context == ParseContext.ACCEPT_LINE
                && !Shell.isDotCommand(line)
                && StatementSplitter.split(line).incomplete()) {
            throw new EOFError(-1, -1, "the statement goes on until ';'", ";");
        }
        return new WholeLine(line, cursor);
    }

    /**
     * The whole input as a single word. It is a {@link CompletingParsedLine} only because JLine warns on stderr
     * about any parser whose lines are not.
     */
    private record WholeLine(String line, int cursor) implements CompletingParsedLine {
        @Override
        public String word() {
            return line;
        }

        @Override
        public int wordCursor() {
            return cursor;
        }

        @Override
        public int wordIndex() {
            return 0;
        }

        @Override
        public List<String> words() {
            return List.of(line);
        }

        @Override
        public CharSequence escape(CharSequence candidate, boolean complete) {
            return candidate;
        }

        @Override
        public int rawWordCursor() {
            return cursor;
        }

        @Override
        public int rawWordLength() {
            return line.length();
        }
    }
}
