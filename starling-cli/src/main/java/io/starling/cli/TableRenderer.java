package io.starling.cli;

import io.starling.QueryResult;
import io.starling.QueryResultItem;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jline.utils.WCWidth;

/**
 * Renders a result as an aligned text table:
 *
 * <pre>
 * _id | make | year
 * ----+------+-----
 * a   | Ford | 1999
 * b   |      |   85
 * (2 rows)
 * </pre>
 *
 * <p>The columns follow the statement's projection ({@link ResultColumns}): in its order, headed by the alias or
 * field name, or by the source text of an unnamed expression ({@code year + 1} rather than {@code ($1)}). For
 * {@code SELECT *} and when the projection cannot be read, they are the union of the items' keys in order of first
 * appearance. A cell is the JSON text of the value, except that a string is shown without quotes (its control
 * characters escaped as in JSON, so a value stays on one line); a field the item does not have (MISSING) is blank,
 * while {@code null} shows as {@code null}. Numbers are right-aligned. The plan of {@code EXPLAIN} is indented JSON,
 * one line per field.
 *
 * <p>Nothing is cut. Widths are display columns ({@link WCWidth}: an East Asian wide character takes two, a combining
 * mark none), so wide text stays aligned. Given a width (the terminal's), a table that would be wider wraps its
 * widest cells within it, at a space or comma where one is near; without one (piped output) rows stay on one line
 * however long.
 *
 * <p>A mutation prints {@code N documents mutated} followed by the ids, one per line; CREATE and DROP print
 * {@code OK}. Stateless and thread-safe.
 */
final class TableRenderer {
    /** No column is wrapped narrower than this (unless its content is narrower). */
    static final int MIN_COLUMN_WIDTH = 8;

    private static final String SEPARATOR = " | ";

    /**
     * How to lay a table out.
     *
     * @param columns the projection's columns in order (empty: the items' keys in order of first appearance)
     * @param width the width to wrap at, in display columns; 0 for no wrapping
     * @param explain whether the result is an EXPLAIN plan (shown as indented JSON)
     */
    record Layout(List<ResultColumns.Column> columns, int width, boolean explain) {
        static final Layout PLAIN = new Layout(List.of(), 0, false);

        /** The layout for the result of {@code statement}, wrapped at {@code width} (0: none). */
        static Layout of(String statement, int width) {
            return new Layout(
                    ResultColumns.of(statement),
                    width,
                    StatementSplitter.firstKeyword(statement).equals("EXPLAIN"));
        }
    }

    private TableRenderer() {}

    static String render(QueryResult result, StatementKind kind) {
        return render(result, kind, Layout.PLAIN);
    }

    static String render(QueryResult result, StatementKind kind, Layout layout) {
        StringBuilder sb = new StringBuilder();
        switch (kind) {
            case DEFINITION:
                sb.append("OK\n");
                break;
            case MUTATION:
                if (!result.items().isEmpty()) appendTable(sb, result.items(), layout);
                List<Object> ids = result.mutatedDocumentIds();
                sb.append(count(ids.size(), "document", "documents")).append(" mutated\n");
                for (Object id : ids) sb.append("  ").append(cell(id)).append('\n');
                break;
            case QUERY:
                return rows(result.items(), layout);
            default:
                throw new AssertionError(kind);
        }
        return sb.toString();
    }

    /** The rows of a query and the {@code (N rows)} footer. */
    static String rows(List<QueryResultItem> items, Layout layout) {
        StringBuilder sb = new StringBuilder();
        appendTable(sb, items, layout);
        sb.append('(').append(count(items.size(), "row", "rows")).append(")\n");
        return sb.toString();
    }

    private static void appendTable(StringBuilder sb, List<QueryResultItem> items, Layout layout) {
        List<Map<String, Object>> rows = new ArrayList<>(items.size());
        Set<String> keys = new LinkedHashSet<>();
        for (QueryResultItem item : items) {
            Map<String, Object> row = item.value();
            rows.add(row);
            keys.addAll(row.keySet());
        }
        if (keys.isEmpty()) return; // items that are all {}: only the row count says anything

        Map<String, String> columns = columns(layout.columns(), keys);
        List<String> names = new ArrayList<>(columns.keySet());
        int n = names.size();
        List<String[][]> cells = new ArrayList<>(rows.size()); // row -> column -> lines
        List<boolean[]> rightAligned = new ArrayList<>(rows.size());
        for (Map<String, Object> row : rows) {
            String[][] line = new String[n][];
            boolean[] right = new boolean[n];
            for (int c = 0; c < n; c++) {
                String name = names.get(c);
                if (!row.containsKey(name)) {
                    line[c] = new String[] {""}; // MISSING
                } else {
                    Object value = row.get(name);
                    line[c] = layout.explain() && (value instanceof Map || value instanceof List)
                            ? pretty(value).split("\n")
                            : new String[] {cell(value)};
                    right[c] = value instanceof Number;
                }
            }
            cells.add(line);
            rightAligned.add(right);
        }
        String[][] headers = new String[n][];
        List<String> titles = new ArrayList<>(columns.values()); // in the order of names
        for (int c = 0; c < n; c++) headers[c] = new String[] {escapeControls(titles.get(c))};

        int[] widths = fit(naturalWidths(headers, cells), layout.width());
        appendRow(sb, headers, new boolean[n], widths);
        StringBuilder rule = new StringBuilder();
        for (int c = 0; c < n; c++) {
            if (c > 0) rule.append("-+-");
            rule.append("-".repeat(widths[c]));
        }
        sb.append(rule).append('\n');
        for (int r = 0; r < cells.size(); r++) appendRow(sb, cells.get(r), rightAligned.get(r), widths);
    }

    /**
     * The columns to show, key to header: the projection's where they account for every key of the items (an
     * item leaves out its MISSING values, so a projected column may have no key at all); otherwise the keys
     * themselves, in order of first appearance.
     */
    private static Map<String, String> columns(List<ResultColumns.Column> projection, Set<String> keys) {
        Map<String, String> out = new LinkedHashMap<>();
        for (ResultColumns.Column c : projection) out.put(c.name(), c.header());
        if (out.size() == projection.size() && out.keySet().containsAll(keys)) return out;
        out.clear();
        for (String key : keys) out.put(key, key);
        return out;
    }

    private static int[] naturalWidths(String[][] headers, List<String[][]> cells) {
        int[] widths = new int[headers.length];
        for (int c = 0; c < headers.length; c++) widths[c] = maxWidth(headers[c]);
        for (String[][] row : cells) {
            for (int c = 0; c < row.length; c++) widths[c] = Math.max(widths[c], maxWidth(row[c]));
        }
        return widths;
    }

    /**
     * Column widths that fit {@code total} display columns, separators included: columns narrower than their fair
     * share keep their width, the others share what is left equally (never below {@link #MIN_COLUMN_WIDTH}, so a
     * very narrow terminal gets a table wider than itself rather than an unreadable one).
     */
    static int[] fit(int[] natural, int total) {
        int n = natural.length;
        int needed = Arrays.stream(natural).sum() + SEPARATOR.length() * (n - 1);
        if (total <= 0 || needed <= total) return natural;
        int[] widths = natural.clone();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Integer.compare(natural[a], natural[b]));
        int left = total - SEPARATOR.length() * (n - 1);
        for (int k = 0; k < n; k++) {
            int c = order[k];
            int share = Math.max(MIN_COLUMN_WIDTH, left / (n - k));
            widths[c] = Math.min(natural[c], share);
            left -= widths[c];
        }
        return widths;
    }

    private static void appendRow(StringBuilder sb, String[][] cells, boolean[] right, int[] widths) {
        List<List<String>> wrapped = new ArrayList<>(cells.length);
        int height = 1;
        for (int c = 0; c < cells.length; c++) {
            List<String> lines = new ArrayList<>();
            for (String line : cells[c]) lines.addAll(wrap(line, widths[c]));
            wrapped.add(lines);
            height = Math.max(height, lines.size());
        }
        for (int h = 0; h < height; h++) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < cells.length; c++) {
                if (c > 0) line.append(SEPARATOR);
                List<String> lines = wrapped.get(c);
                String text = h < lines.size() ? lines.get(h) : "";
                String pad = " ".repeat(Math.max(0, widths[c] - width(text)));
                if (right[c]) line.append(pad).append(text);
                else line.append(text).append(pad);
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
    }

    /**
     * Cuts {@code text} into lines of at most {@code width} display columns, after the last space or comma of a
     * line when there is one in its second half, else at the width (never inside a surrogate pair).
     */
    static List<String> wrap(String text, int width) {
        if (width(text) <= width) return List.of(text);
        List<String> lines = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int used = 0;
            int end = start;
            int breakAt = -1;
            while (end < text.length()) {
                int cp = text.codePointAt(end);
                int w = Math.max(0, WCWidth.wcwidth(cp));
                if (used + w > width && end > start) break;
                used += w;
                end += Character.charCount(cp);
                if ((cp == ' ' || cp == ',') && used * 2 >= width) breakAt = end;
            }
            if (end < text.length() && breakAt > start) end = breakAt;
            lines.add(text.substring(start, end).stripTrailing());
            start = end;
            while (start < text.length() && text.charAt(start) == ' ') start++;
        }
        return lines;
    }

    /** The text of one value: JSON, but strings without quotes. */
    static String cell(Object value) {
        return value instanceof String s ? escapeControls(s) : JsonArgs.write(value);
    }

    /** Display columns of {@code text} on a terminal: wide characters count two, combining marks none. */
    static int width(String text) {
        int w = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            w += Math.max(0, WCWidth.wcwidth(cp));
            i += Character.charCount(cp);
        }
        return w;
    }

    private static int maxWidth(String[] lines) {
        int w = 0;
        for (String l : lines) w = Math.max(w, width(l));
        return w;
    }

    /** Indented JSON of a plain value: an object's fields one per line; an array of scalars on one line. */
    static String pretty(Object value) {
        StringBuilder sb = new StringBuilder();
        pretty(sb, value, "");
        return sb.toString();
    }

    private static void pretty(StringBuilder sb, Object value, String indent) {
        if (value instanceof Map<?, ?> map && !map.isEmpty()) {
            sb.append("{\n");
            int i = 0;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                sb.append(indent)
                        .append("  ")
                        .append(JsonArgs.write(String.valueOf(e.getKey())))
                        .append(": ");
                pretty(sb, e.getValue(), indent + "  ");
                sb.append(++i < map.size() ? ",\n" : "\n");
            }
            sb.append(indent).append('}');
        } else if (value instanceof List<?> list
                && !list.isEmpty()
                && list.stream().anyMatch(v -> v instanceof Map || v instanceof List)) {
            sb.append("[\n");
            for (int i = 0; i < list.size(); i++) {
                sb.append(indent).append("  ");
                pretty(sb, list.get(i), indent + "  ");
                sb.append(i + 1 < list.size() ? ",\n" : "\n");
            }
            sb.append(indent).append(']');
        } else {
            sb.append(JsonArgs.write(value));
        }
    }

    private static String escapeControls(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != 0x7f) {
                if (sb != null) sb.append(c);
                continue;
            }
            if (sb == null) sb = new StringBuilder(s.length() + 8).append(s, 0, i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> sb.append(String.format("\\u%04x", (int) c));
            }
        }
        return sb == null ? s : sb.toString();
    }

    private static String count(int n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }
}
