package io.starling.cli;

import java.util.Map;
import org.jline.reader.impl.LineReaderImpl;
import org.jline.terminal.Terminal;

/**
 * JLine's line reader, made to stay fast when a large statement is pasted. JLine redraws the whole input after every
 * key it reads — highlighting it, laying out its lines, inserting continuation prompts — which costs time in
 * proportion to the input's length; a paste arrives as that many keys, so pasting a 65 KB statement took minutes
 * (quadratic). This reader skips the redraw while more input is already waiting and redraws once when the paste has
 * been read. Typing is unchanged: a key typed by hand is never followed by waiting input.
 *
 * <p>Only the thread that reads lines skips redraws: a log line printed above the prompt from another thread redraws
 * as usual. Not thread-safe beyond what {@link LineReaderImpl} promises.
 */
final class ShellLineReader extends LineReaderImpl {
    /** How long to wait for a following key before deciding that none is pending, in milliseconds. */
    private static final long PENDING_MILLIS = 1;

    private final Thread reader = Thread.currentThread();
    private long redraws;
    private long skipped;

    ShellLineReader(Terminal terminal, Map<String, Object> variables) {
        super(terminal, "starling", variables);
    }

    @Override
    protected void redisplay(boolean flush) {
        if (Thread.currentThread() == reader && isReading() && peekCharacter(PENDING_MILLIS) >= 0) {
            skipped++;
            return;
        }
        redraws++;
        super.redisplay(flush);
    }

    /** Redraws of the input done so far (for tests: a paste costs a few, not one per character). */
    long redraws() {
        return redraws;
    }

    /** Redraws skipped because more input was waiting. */
    long skipped() {
        return skipped;
    }
}
