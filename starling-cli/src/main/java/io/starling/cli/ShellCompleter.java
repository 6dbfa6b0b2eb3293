package io.starling.cli;

import io.starling.QueryResultItem;
import io.starling.Store;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;
import org.jspecify.annotations.Nullable;

/**
 * Tab completion in the shell: dot-commands at the start of the input (and the formats after {@code .format});
 * collection names after {@code FROM}, {@code INTO}, {@code UPDATE} and {@code ON} (from {@code system:collections},
 * plus the system collections); elsewhere the keywords of DQL, the aggregate functions and the field names of the
 * collection the statement names, sampled from its first {@value #SAMPLE} documents (nested fields as paths, to a
 * depth of {@value #DEPTH}). Keywords come in the case the word was started in. The store is read on the shell's own
 * thread, when Tab is pressed; a failure just offers nothing.
 */
final class ShellCompleter implements Completer {
    /** Documents sampled for field names. */
    static final int SAMPLE = 100;
    /** Levels of nested fields offered as paths ({@code a.b}). */
    static final int DEPTH = 2;

    static final List<String> DOT_COMMANDS =
            List.of(".help", ".format", ".args", ".watch", ".peers", ".subscribe", ".quit", ".exit");
    static final List<String> SYSTEM_COLLECTIONS = List.of("system:collections", "system:indexes", "system:info");
    /** Reserved words, then the contextual keywords and the aggregates. */
    static final Set<String> KEYWORDS;

    static {
        Set<String> words = new TreeSet<>(ResultColumns.RESERVED);
        words.addAll(List.of(
                "DOCUMENTS",
                "INITIAL",
                "CONFLICT",
                "DO",
                "NOTHING",
                "FAIL",
                "UPDATE_LOCAL_DIFF",
                "INCREMENT",
                "RESTART",
                "WITH",
                "INDEX",
                "IF",
                "EXISTS",
                "VALUED",
                "COUNT",
                "SUM",
                "AVG",
                "MIN",
                "MAX"));
        KEYWORDS = Set.copyOf(words);
    }

    /** Keywords after which a collection name comes. */
    private static final Set<String> BEFORE_COLLECTION = Set.of("FROM", "INTO", "UPDATE", "ON");

    private final Store store;

    ShellCompleter(Store store) {
        this.store = store;
    }

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
        for (String c : candidates(line.line(), line.cursor())) {
            candidates.add(new Candidate(c, c, null, null, null, null, true));
        }
    }

    /** The completions of the word at {@code cursor} in {@code input}: every candidate, whatever the prefix. */
    List<String> candidates(String input, int cursor) {
        int start = ShellLineParser.wordStart(input, cursor);
        String before = input.substring(0, start);
        String word = input.substring(start, Math.min(cursor, input.length()));
        if (before.isBlank() && word.startsWith(".")) return DOT_COMMANDS;
        if (Shell.isDotCommand(input)) {
            String command = input.strip().split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
            if (command.equals(".format") && !before.strip().contains(" ")) return List.of("table", "json", "jsonl");
            if (!command.equals(".watch") && !command.equals(".subscribe")) return List.of();
            // .watch and .subscribe take a statement: complete it as one
            int skip = input.indexOf(command) + command.length();
            return statementCandidates(input.substring(skip, start), word, input.substring(skip));
        }
        // the statement the cursor is in: what follows the last complete one
        StatementSplitter.Split split = StatementSplitter.split(before);
        String statementStart = split.remainder();
        String rest = input.substring(start);
        int end = rest.indexOf(';');
        String statement = statementStart + " " + (end < 0 ? rest : rest.substring(0, end));
        return statementCandidates(statementStart, word, statement);
    }

    private List<String> statementCandidates(String before, String word, String statement) {
        List<ResultColumns.Token> tokens = ResultColumns.tokens(before);
        ResultColumns.Token previous = tokens.isEmpty() ? null : tokens.get(tokens.size() - 1);
        if (previous != null
                && previous.kind() == ResultColumns.Kind.WORD
                && BEFORE_COLLECTION.contains(previous.text().toUpperCase(Locale.ROOT))) {
            return collections();
        }
        boolean lower = !word.isEmpty() && word.equals(word.toLowerCase(Locale.ROOT)) && !word.startsWith("`");
        List<String> out = new ArrayList<>();
        for (String k : new TreeSet<>(KEYWORDS)) out.add(lower ? k.toLowerCase(Locale.ROOT) : k);
        String collection = collectionOf(statement);
        if (collection != null) out.addAll(fields(collection));
        return out;
    }

    /** The collection a statement names (after FROM, INTO, UPDATE or ON), or null. */
    static @Nullable String collectionOf(String statement) {
        List<ResultColumns.Token> tokens = ResultColumns.tokens(statement);
        for (int i = 0; i + 1 < tokens.size(); i++) {
            ResultColumns.Token t = tokens.get(i);
            if (t.kind() != ResultColumns.Kind.WORD
                    || !BEFORE_COLLECTION.contains(t.text().toUpperCase(Locale.ROOT))) continue;
            ResultColumns.Token name = tokens.get(i + 1);
            if (name.identifier()) {
                // system:indexes reads as the word `system` and the argument `:indexes`
                if (name.text().equals("system")
                        && i + 2 < tokens.size()
                        && tokens.get(i + 2).kind() == ResultColumns.Kind.ARG
                        && tokens.get(i + 2).start() == name.end()) {
                    return "system" + tokens.get(i + 2).text();
                }
                return name.name();
            }
        }
        return null;
    }

    /** The collections of the database and the system collections. */
    List<String> collections() {
        Set<String> names = new TreeSet<>();
        try {
            for (QueryResultItem item :
                    store.execute("SELECT _id FROM system:collections").items()) {
                Object id = item.value().get("_id");
                if (id instanceof String s) names.add(s);
            }
        } catch (RuntimeException e) {
            // nothing to offer
        }
        List<String> out = new ArrayList<>();
        for (String n : names) out.add(quoted(n));
        out.addAll(SYSTEM_COLLECTIONS);
        return out;
    }

    /** Field names (and paths of nested fields) of the first documents of {@code collection}. */
    List<String> fields(String collection) {
        Set<String> paths = new TreeSet<>();
        try {
            String from = collection.startsWith("system:") ? collection : quoted(collection);
            for (QueryResultItem item :
                    store.execute("SELECT * FROM " + from + " LIMIT " + SAMPLE).items()) {
                addPaths(paths, "", item.value(), 1);
            }
        } catch (RuntimeException e) {
            // nothing to offer
        }
        return new ArrayList<>(paths);
    }

    private static void addPaths(Set<String> paths, String prefix, Map<String, Object> object, int depth) {
        for (Map.Entry<String, Object> e : object.entrySet()) {
            String path = prefix + quoted(e.getKey());
            paths.add(path);
            if (depth < DEPTH && e.getValue() instanceof Map<?, ?> nested) {
                @SuppressWarnings("unchecked") // a nested document object: its keys are field names (strings)
                Map<String, Object> map = (Map<String, Object>) nested;
                addPaths(paths, path + ".", map, depth + 1);
            }
        }
    }

    /** A name as DQL needs it written: bare when it can be, else in backticks. */
    static String quoted(String name) {
        boolean plain = !name.isEmpty()
                && (Character.isLetter(name.charAt(0)) || name.charAt(0) == '_')
                && !ResultColumns.RESERVED.contains(name.toUpperCase(Locale.ROOT));
        for (int i = 0; plain && i < name.length(); i++) {
            char c = name.charAt(i);
            plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        }
        return plain ? name : "`" + name.replace("`", "``") + "`";
    }
}
