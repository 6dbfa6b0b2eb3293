package io.starling.cli;

import io.starling.QueryResult;
import io.starling.QueryResultItem;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine;

/**
 * How a {@link QueryResult} is printed. Every format ends each line with {@code \n}, whatever the platform, so
 * that the output is the same everywhere and easy to pipe.
 */
enum OutputFormat {
    /** Exactly {@link QueryResult#toJson()}: the body of the HTTP API, on one line. */
    JSON {
        @Override
        void write(QueryResult result, StatementKind kind, TableRenderer.Layout layout, PrintWriter out) {
            out.print(result.toJson());
            out.print('\n');
        }
    },
    /**
     * One JSON value per line: each item of a query, or each mutated document id of a mutation. Nothing at all for
     * an empty result, so {@code | wc -l} counts rows.
     */
    JSONL {
        @Override
        void write(QueryResult result, StatementKind kind, TableRenderer.Layout layout, PrintWriter out) {
            for (QueryResultItem item : result.items()) {
                out.print(item.json());
                out.print('\n');
            }
            for (Object id : result.mutatedDocumentIds()) {
                out.print(JsonArgs.write(id));
                out.print('\n');
            }
        }
    },
    /** An aligned text table for people; see {@link TableRenderer}. */
    TABLE {
        @Override
        void write(QueryResult result, StatementKind kind, TableRenderer.Layout layout, PrintWriter out) {
            out.print(TableRenderer.render(result, kind, layout));
        }
    };

    /**
     * Prints {@code result}; {@code kind} says what the statement was, {@code layout} how a table is laid out (the
     * other formats ignore it). Does not flush.
     */
    abstract void write(QueryResult result, StatementKind kind, TableRenderer.Layout layout, PrintWriter out);

    /** Prints {@code result} with a plain table layout (the items' keys, no wrapping). Does not flush. */
    void write(QueryResult result, StatementKind kind, PrintWriter out) {
        write(result, kind, TableRenderer.Layout.PLAIN, out);
    }

    /**
     * Prints the result of {@code statement}: a table follows its projection and wraps at {@code width} display
     * columns (0: no wrapping). Does not flush.
     */
    void write(QueryResult result, String statement, int width, PrintWriter out) {
        write(result, StatementKind.of(statement, result), TableRenderer.Layout.of(statement, width), out);
    }

    /** The name users type: {@code json}, {@code jsonl} or {@code table}. */
    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the accepted values */
    static OutputFormat parse(String text) {
        for (OutputFormat f : values()) {
            if (f.label().equalsIgnoreCase(text.strip())) return f;
        }
        throw new IllegalArgumentException("expected json, jsonl or table, got '" + text + "'");
    }

    /** Lets picocli accept the lower-case names and report a bad one as a usage error. */
    static final class Converter implements CommandLine.ITypeConverter<OutputFormat> {
        @Override
        public OutputFormat convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
