package io.starling.cli;

import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.terminal.impl.DumbTerminal;

/**
 * Opens the terminal the shell reads from. On a console that is JLine's system terminal (line editing, history
 * keys, Ctrl-C); otherwise — input piped or redirected — a dumb terminal over the plain streams: it never
 * allocates a pseudo-terminal, never writes escape sequences and does not echo, so piped input produces exactly the
 * results on stdout. Tests inject their own factory.
 */
@FunctionalInterface
interface TerminalFactory {

    /** Opens a terminal over the process's {@code in} and {@code out}; the caller closes it. */
    ShellTerminal open(InputStream in, OutputStream out) throws IOException;

    /**
     * An open terminal and whether a person is typing at it: only then does the shell print prompts and a banner.
     */
    record ShellTerminal(Terminal terminal, boolean interactive) {}

    /** A console when the process has one, otherwise {@link #piped()}. */
    static TerminalFactory system() {
        return (in, out) -> hasConsole()
                ? new ShellTerminal(
                        TerminalBuilder.builder()
                                .name("starling")
                                .system(true)
                                .encoding(StandardCharsets.UTF_8)
                                .build(),
                        true)
                : piped().open(in, out);
    }

    /** A dumb, non-interactive terminal over the given streams: no prompts, no echo, no escape sequences. */
    static TerminalFactory piped() {
        return (in, out) -> new ShellTerminal(
                new DumbTerminal("starling", Terminal.TYPE_DUMB, in, out, StandardCharsets.UTF_8), false);
    }

    /**
     * True when both standard input and output are a terminal. Java 22 and later return a {@link Console} even
     * for redirected streams and tell them apart with {@code Console.isTerminal()}, which Java 17 lacks.
     */
    @SuppressWarnings("SystemConsoleNull") // handled below: isTerminal() where it exists (Java 22+), else null
    private static boolean hasConsole() {
        Console console = System.console();
        if (console == null) return false;
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (NoSuchMethodException e) {
            return true; // Java 17 to 21: a console exists only for a terminal
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }
}
