package io.starling.cli;

import io.starling.QueryResult;
import io.starling.Starling;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code starling exec}: opens the database, runs one statement, prints the result, closes the database. */
@Command(
        name = "exec",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = "Runs one DQL statement on a local database and prints its result.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:success",
            "1:any other failure: database locked by another process, id conflict, I/O error",
            "2:bad statement (the message gives line and column) or bad usage"
        })
final class ExecCommand implements Callable<Integer> {
    private final CliEnvironment environment;

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store = new StoreOptions();

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
    OutputFormat format;

    @Parameters(index = "0", paramLabel = "STATEMENT", description = "One DQL statement, e.g. \"SELECT * FROM cars\".")
    String statement;

    ExecCommand(CliEnvironment environment) {
        this.environment = environment;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Starling db = Starling.open(store.config(environment.configSource()))) {
            QueryResult result = db.store().execute(statement, args.values());
            format.write(result, StatementKind.of(statement, result), out);
        }
        out.flush();
        return CommandLine.ExitCode.OK;
    }
}
