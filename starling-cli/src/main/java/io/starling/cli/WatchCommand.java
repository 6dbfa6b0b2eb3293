package io.starling.cli;

import io.starling.Starling;
import io.starling.StoreObserver;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code starling watch}: runs a live query and prints each delivery as one JSON line, {@code {"items":[...]}} —
 * first the current result, then the new result after every change that affects it — until SIGINT or SIGTERM. With
 * {@code --url} it watches a running peer through {@code GET /api/v1/observe}; otherwise it opens the database
 * itself, optionally as a peer (the sync options of {@code starling peer}).
 */
@Command(
        name = "watch",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Prints the result of a SELECT as one JSON line {\"items\":[...]}, then again after every change that"
                    + " affects it, until Ctrl-C. Watches a running peer with --url, else a local database (--db),"
                    + " which the sync options make a peer of its own."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:stopped by Ctrl-C or SIGTERM (the shell may report 130 or 143)",
            "1:the peer cannot be reached or ended the stream, the database is locked, I/O error",
            "2:bad statement (not a SELECT, with line and column) or bad usage"
        })
final class WatchCommand implements Callable<Integer> {
    private final CliEnvironment environment;

    @Spec
    CommandSpec spec;

    @Mixin
    RemoteOptions remote = new RemoteOptions();

    @Mixin
    StoreOptions store = new StoreOptions();

    @Mixin
    SyncOptions sync = new SyncOptions();

    @Option(
            names = "--args",
            paramLabel = "JSON",
            converter = JsonArgs.Converter.class,
            description = "Named arguments as a JSON object, e.g. '{\"done\": false}' for :done.")
    JsonArgs.NamedArgs args = JsonArgs.NamedArgs.NONE;

    @Parameters(
            index = "0",
            paramLabel = "QUERY",
            description = "A SELECT, e.g. \"SELECT * FROM tasks WHERE done = false\".")
    @SuppressWarnings("NullAway.Init") // a required parameter: picocli sets it before call()
    String statement;

    WatchCommand(CliEnvironment environment) {
        this.environment = environment;
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        if (remote.given() && (store.given() || sync.given())) {
            throw new CliUsageException("--url watches a running peer: it cannot go with --db, --app or sync options");
        }
        remote.checkTokenNeedsUrl();
        HttpApiClient client = remote.given() ? remote.client(environment) : null;
        StopSignal stop = environment.stopSignals().get();
        try {
            return client != null ? remote(client, out, stop) : local(out, stop);
        } finally {
            stop.finished();
        }
    }

    private int remote(HttpApiClient client, PrintWriter out, StopSignal stop) throws InterruptedException {
        try (HttpApiClient.Stream stream = client.observe(statement, args.values(), data -> print(out, data))) {
            try {
                CompletableFuture.anyOf(stop.requested(), stream.done()).get();
            } catch (ExecutionException e) {
                if (!stop.isStopRequested()) {
                    throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                }
            }
        }
        return CommandLine.ExitCode.OK;
    }

    @SuppressWarnings("try") // the observer is only held open
    private int local(PrintWriter out, StopSignal stop) throws InterruptedException {
        try (Starling db = Starling.open(
                sync.apply(store.builder(environment.configSource())).build())) {
            sync.start(db);
            SyncOptions.checkLogin(db, spec.commandLine().getErr());
            if (db.config().networked())
                SyncOptions.printStatus(db, spec.commandLine().getErr());
            try (StoreObserver observer = db.store()
                    .registerObserver(statement, args.values(), change -> print(out, HttpApi.itemsJson(change)))) {
                stop.awaitStop();
            }
        }
        return CommandLine.ExitCode.OK;
    }

    private static void print(PrintWriter out, String line) {
        synchronized (out) {
            out.print(line);
            out.print('\n');
            out.flush();
        }
    }
}
