package io.starling.cli;

import io.starling.QueryResult;
import io.starling.Starling;
import io.starling.StarlingConfig;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code starling exec}: opens the database, runs one statement, prints the result, closes the database; or, with
 * {@code --url}, runs the statement on a running peer through its HTTP API and prints the same.
 */
@Command(
        name = "exec",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = "Runs one DQL statement on a local database (--db) or on a running peer (--url) and prints its"
                + " result.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:success",
            "1:any other failure: database locked by another process, id conflict, I/O error, peer unreachable",
            "2:bad statement (the message gives line and column) or bad usage"
        })
final class ExecCommand implements Callable<Integer> {
    private final CliEnvironment environment;

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store = new StoreOptions();

    @Mixin
    RemoteOptions remote = new RemoteOptions();

    @Option(
            names = "--args",
            paramLabel = "JSON",
            converter = JsonArgs.Converter.class,
            description = "Named arguments as a JSON object, e.g. '{\"make\": \"Ford\"}' for :make.")
    JsonArgs.NamedArgs args = JsonArgs.NamedArgs.NONE;

    @Option(
            names = "--format",
            paramLabel = "FORMAT",
            converter = OutputFormat.Converter.class,
            defaultValue = "json",
            description = "json (default): {\"items\":[...],\"mutatedDocumentIds\":[...]}; jsonl: one item (or"
                    + " mutated id) per line; table: an aligned table.")
    @SuppressWarnings("NullAway.Init") // has a default value: picocli sets it before call()
    OutputFormat format;

    @Option(
            names = "--statement-timeout",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Stop the statement if it runs longer, e.g. 500ms, 30s, 5m (default: 60s). A stopped"
                    + " statement fails with query/timeout and changes nothing. With --url the peer's own"
                    + " --statement-timeout applies.")
    @Nullable
    Duration statementTimeout;

    @Parameters(index = "0", paramLabel = "STATEMENT", description = "One DQL statement, e.g. \"SELECT * FROM cars\".")
    @SuppressWarnings("NullAway.Init") // a required parameter: picocli sets it before call()
    String statement;

    ExecCommand(CliEnvironment environment) {
        this.environment = environment;
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        if (remote.given()) return remote(out);
        remote.checkTokenNeedsUrl();
        StarlingConfig.Builder config = store.builder(environment.configSource());
        if (statementTimeout != null) config.statementTimeout(statementTimeout);
        try (Starling db = Starling.open(config.build())) {
            QueryResult result = db.store().execute(statement, args.values());
            format.write(result, statement, 0, out);
        }
        out.flush();
        return CommandLine.ExitCode.OK;
    }

    private int remote(PrintWriter out) throws InterruptedException {
        if (store.given())
            throw new CliUsageException("--url runs the statement on a peer: it cannot go with --db or --app");
        if (statementTimeout != null) {
            throw new CliUsageException("--statement-timeout applies to --db; with --url the statement runs under the"
                    + " peer's own limit (starling peer --statement-timeout)");
        }
        HttpApiClient client = remote.client(environment);
        HttpApiClient.Response response = client.execute(statement, args.values());
        if (response.status() != 200) throw client.error(response.status(), response.body());
        if (format == OutputFormat.JSON) {
            out.print(response.body()); // exactly the body (docs/HTTP-API.md), ended by a newline as with --db
            if (!response.body().endsWith("\n")) out.print('\n');
        } else {
            JsonQueryResult result = JsonQueryResult.parse(response.body());
            format.write(result, statement, 0, out);
        }
        out.flush();
        return CommandLine.ExitCode.OK;
    }
}
