package io.starling.cli;

import io.starling.QueryResult;
import io.starling.QueryResultChange;
import io.starling.QueryResultDiff;
import io.starling.Starling;
import io.starling.Store;
import io.starling.StoreObserver;
import io.starling.SyncSubscription;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.history.DefaultHistory;
import org.jline.terminal.Terminal;
import org.jline.terminal.Terminal.Signal;
import org.jline.terminal.Terminal.SignalHandler;
import org.jspecify.annotations.Nullable;

/**
 * One shell session over an open store: reads input through JLine, runs statements, prints results, until
 * {@code .quit}, Ctrl-D or the end of the input.
 *
 * <p>Input is read in units that {@link ShellLineParser} calls complete — a dot-command line, or text ending with a
 * statement's {@code ;} — then cut into statements by {@link StatementSplitter}. A failing statement prints
 * {@code error: <code>: <message>} on stderr and the session goes on. At the end of piped input, a last statement
 * that lacks its {@code ;} still runs; on a console, Ctrl-D on an empty line just leaves.
 *
 * <p>{@code .watch SELECT …} shows a live query until Ctrl-C: deliveries come from the observer's thread through a
 * queue to the session's thread, which prints them (one at a time: the next delivery waits, coalescing what changed
 * meanwhile) until the terminal's SIGINT handler puts the stop mark in the queue; then the shell goes on.
 *
 * <p>Not thread-safe: one session, one thread.
 */
final class Shell {
    static final String PROMPT = "starling> ";
    static final String CONTINUATION_PROMPT = " ...> ";

    static final String HELP = """
            Statements end with ';' and may span several lines. Dot-commands:
              .help                        this text
              .format [table|json|jsonl]   show or set the output format
              .args [JSON]                 named arguments for the following statements,
                                           e.g. .args {"make": "Ford"}; alone, clear them
              .watch SELECT ...            show the query's result, then again after every
                                           change (local or from peers), until Ctrl-C
              .peers                       this peer, the peers around (with hops and
                                           metadata) and the connections between them
              .subscribe [SELECT ...]      ask peers for the documents matching
                                           SELECT * FROM c [WHERE ...]; alone, list them
              .attach FILE                 store FILE as an attachment; prints its token and
                                           sets :attachment for the following statements
              .fetch ID [LEN] PATH         fetch attachment ID (LEN bytes, from the token)
                                           from this peer or its peers to PATH, with a
                                           progress bar; Ctrl-C cancels
              .quit, .exit                 leave the shell
            Keys: Enter on an unfinished statement starts a new line; Tab completes keywords,
            collections and fields; Ctrl-C clears the input; Ctrl-D on an empty line leaves;
            Up/Down and Ctrl-R search the history (one per database).
            """;

    private final Starling db;
    private final Store store;
    private final Terminal terminal;
    private final boolean interactive;
    private final @Nullable Path historyFile;
    private final ErrorReporter errors;
    private final PrintWriter out;
    private OutputFormat format;
    private Map<String, Object> args = Map.of();
    private @Nullable ShellLineReader reader; // while run() runs

    /**
     * @param historyFile where to keep the history, or null for none
     * @param errors prints failures (on stderr)
     */
    Shell(
            Starling db,
            Terminal terminal,
            boolean interactive,
            @Nullable Path historyFile,
            OutputFormat format,
            ErrorReporter errors) {
        this.db = db;
        this.store = db.store();
        this.terminal = terminal;
        this.interactive = interactive;
        this.historyFile = historyFile;
        this.format = format;
        this.errors = errors;
        this.out = terminal.writer();
    }

    /** The line reader of the session, once {@link #run} has started (for tests). */
    @Nullable
    ShellLineReader lineReader() {
        return reader;
    }

    static boolean isDotCommand(String input) {
        return input.stripLeading().startsWith(".");
    }

    /** Runs the session to its end. {@code banner} is printed first on a console. */
    void run(String banner) {
        Map<String, Object> variables = new HashMap<>();
        variables.put(LineReader.SECONDARY_PROMPT_PATTERN, interactive ? CONTINUATION_PROMPT : "");
        if (historyFile != null) variables.put(LineReader.HISTORY_FILE, historyFile);
        else variables.put(LineReader.DISABLE_HISTORY, true);
        ShellLineReader reader = new ShellLineReader(terminal, variables);
        reader.setHistory(new DefaultHistory());
        reader.setParser(new ShellLineParser());
        // `!=` is an operator, not a history reference
        reader.option(LineReader.Option.DISABLE_EVENT_EXPANSION, true);
        if (interactive) {
            reader.setCompleter(new ShellCompleter(store));
            // complete what the word starts with (any case), not what it might be a typo of
            reader.option(LineReader.Option.CASE_INSENSITIVE, true);
            reader.option(LineReader.Option.COMPLETE_MATCHER_TYPO, false);
            reader.option(LineReader.Option.COMPLETE_MATCHER_CAMELCASE, false);
        } else {
            reader.option(LineReader.Option.INSERT_TAB, true); // a tab in piped input is part of the statement
        }
        this.reader = reader;

        String prompt = interactive ? PROMPT : "";
        if (interactive) {
            out.println(banner);
            out.flush();
        }
        // on a console, log lines (a refused peer, a dropped connection) go above the prompt, not through the input
        Logging.Redirect logs = interactive ? Logging.printTo(reader::printAbove) : () -> {};
        try {
            while (true) {
                String input;
                try {
                    input = reader.readLine(prompt);
                } catch (UserInterruptException e) {
                    continue; // Ctrl-C: JLine has dropped the input; start afresh
                } catch (EndOfFileException e) {
                    // JLine has ended the line on a console; piped input may end without a final ';'
                    if (!interactive && e.getPartialLine() != null) handle(e.getPartialLine());
                    break;
                }
                if (!handle(input)) break;
            }
        } finally {
            logs.close();
            out.flush();
            if (historyFile != null) {
                try {
                    reader.getHistory().save();
                } catch (IOException e) {
                    errors.report(e);
                }
            }
        }
    }

    /** The width tables wrap at: the terminal's on a console, none for piped output (nothing is ever cut). */
    private int width() {
        return interactive ? Math.max(0, terminal.getWidth()) : 0;
    }

    /** Runs one unit of input. Returns false when the session is to end. */
    boolean handle(String input) {
        if (isDotCommand(input)) return dotCommand(input.strip());
        StatementSplitter.Split split = StatementSplitter.split(input);
        for (String statement : split.statements()) execute(statement);
        if (split.incomplete()) execute(split.remainder()); // only at the end of the input
        return true;
    }

    private void execute(String statement) {
        try {
            QueryResult result = store.execute(statement, args);
            format.write(result, statement, width(), out);
        } catch (RuntimeException e) {
            out.flush(); // what was printed so far comes before the error
            errors.report(e);
        }
        out.flush();
    }

    private boolean dotCommand(String line) {
        // `.quit;` is a common slip; no JSON text ends with ';' either
        String text = line.endsWith(";") ? line.substring(0, line.length() - 1).strip() : line;
        String[] parts = text.split("\\s+", 2);
        String command = parts[0].toLowerCase(Locale.ROOT);
        String argument = parts.length > 1 ? parts[1].strip() : "";
        switch (command) {
            case ".quit":
            case ".exit":
                return false;
            case ".help":
                out.print(HELP);
                break;
            case ".format":
                if (argument.isEmpty()) {
                    out.println(format.label());
                } else {
                    try {
                        format = OutputFormat.parse(argument);
                    } catch (IllegalArgumentException e) {
                        errors.usage(".format: " + e.getMessage());
                    }
                }
                break;
            case ".args":
                if (argument.isEmpty()) {
                    args = Map.of();
                } else {
                    try {
                        args = JsonArgs.parse(argument);
                    } catch (IllegalArgumentException e) {
                        errors.usage(".args: " + e.getMessage() + "; the arguments are unchanged");
                    }
                }
                break;
            case ".peers":
                out.print(PresenceRenderer.text(db.presence().graph()));
                break;
            case ".watch":
                if (argument.isEmpty()) errors.usage(".watch needs a query: .watch SELECT * FROM c");
                else watch(argument);
                break;
            case ".subscribe":
                subscribe(argument);
                break;
            case ".attach":
            case ".fetch":
                attachment(command, argument);
                break;
            default:
                errors.usage("unknown command '" + parts[0] + "'; .help lists the commands");
        }
        out.flush();
        return true;
    }

    private void attachment(String command, String argument) {
        AttachmentCommands commands = new AttachmentCommands(db, out);
        try {
            if (command.equals(".attach")) {
                args = commands.attach(argument, args);
            } else {
                BlockingQueue<Object> events = new LinkedBlockingQueue<>();
                Object stop = new Object();
                SignalHandler previous = terminal.handle(Signal.INT, signal -> events.add(stop));
                try {
                    commands.fetch(argument, events, stop, interactive);
                } finally {
                    terminal.handle(Signal.INT, previous);
                }
            }
        } catch (RuntimeException e) { // a usage mistake is reported as one (cli/usage), like everything else
            out.flush();
            errors.report(e);
        }
    }

    private void subscribe(String query) {
        if (query.isEmpty()) {
            List<SyncSubscription> subscriptions = db.sync().subscriptions();
            if (subscriptions.isEmpty()) out.println("no subscriptions");
            for (SyncSubscription s : subscriptions) out.println(s.query());
            return;
        }
        try {
            db.sync().registerSubscription(query, args);
        } catch (RuntimeException e) {
            out.flush();
            errors.report(e);
        }
    }

    /** A delivery waiting to be printed, and how to ask for the next one. */
    private record Delivery(QueryResultChange change, Runnable next) {}

    /** Shows a live query until Ctrl-C (SIGINT on the terminal). */
    private void watch(String query) {
        BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        Object stop = new Object();
        SignalHandler previous = terminal.handle(Signal.INT, signal -> events.add(stop));
        try (StoreObserver observer = store.registerObserverWithSignalNext(
                query, args, (change, next) -> events.add(new Delivery(change, next)))) {
            if (interactive) {
                out.println("watching " + observer.query() + "; Ctrl-C to stop");
                out.flush();
            }
            for (Object event = events.take(); event != stop; event = events.take()) {
                Delivery delivery = (Delivery) event;
                print(query, delivery.change());
                delivery.next().run();
            }
            if (interactive) out.println(); // the terminal echoed ^C; the prompt goes on a line of its own
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            out.flush();
            errors.report(e);
        } finally {
            terminal.handle(Signal.INT, previous);
        }
    }

    /**
     * One delivery: {@code {"items":[...]}} on one line in the json and jsonl formats; in the table format, a table,
     * after the first preceded by a line saying what changed.
     */
    private void print(String query, QueryResultChange change) {
        if (format == OutputFormat.TABLE) {
            if (!change.isInitial()) out.print(describe(change.diff()));
            out.print(TableRenderer.rows(change.items(), TableRenderer.Layout.of(query, width())));
        } else {
            out.print(HttpApi.itemsJson(change));
            out.print('\n');
        }
        out.flush();
    }

    /** {@code -- changed: 1 inserted, 2 updated}. */
    static String describe(QueryResultDiff diff) {
        List<String> parts = new ArrayList<>();
        if (!diff.insertions().isEmpty()) parts.add(diff.insertions().size() + " inserted");
        if (!diff.deletions().isEmpty()) parts.add(diff.deletions().size() + " deleted");
        if (!diff.updates().isEmpty()) parts.add(diff.updates().size() + " updated");
        if (!diff.moves().isEmpty()) parts.add(diff.moves().size() + " moved");
        return "-- changed: " + (parts.isEmpty() ? "nothing" : String.join(", ", parts)) + "\n";
    }
}
