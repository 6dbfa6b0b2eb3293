package io.starling.cli;

import io.starling.QueryResult;
import io.starling.QueryResultItem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
 * <p>The columns are the union of the items' keys in order of first appearance. A cell is the JSON text of the
 * value, except that a string is shown without quotes (its control characters escaped as in JSON, so a row stays on
 * one line); a field the item does not have (MISSING) is blank, while {@code null} shows as {@code null}. Numbers
 * are right-aligned. A cell longer than {@value #MAX_CELL_WIDTH} characters is cut and ends with {@code …}. Widths
 * count code points, so wide (East Asian) characters may misalign.
 *
 * <p>A mutation prints {@code N documents mutated} followed by the ids, one per line; CREATE and DROP print
 * {@code OK}.
 */
final class TableRenderer {
    static final int MAX_CELL_WIDTH = 40;
    private static final String ELLIPSIS = "…";

    private TableRenderer() {}

    static String render(QueryResult result, StatementKind kind) {
        StringBuilder sb = new StringBuilder();
        switch (kind) {
            case DEFINITION:
                sb.append("OK\n");
                break;
            case MUTATION:
                if (!result.items().isEmpty()) appendTable(sb, result.items());
                List<Object> ids = result.mutatedDocumentIds();
                sb.append(count(ids.size(), "document", "documents")).append(" mutated\n");
                for (Object id : ids) sb.append("  ").append(cell(id)).append('\n');
                break;
            case QUERY:
                return rows(result.items());
            default:
                throw new AssertionError(kind);
        }
        return sb.toString();
    }

    /** The rows of a query and the {@code (N rows)} footer. */
    static String rows(List<QueryResultItem> items) {
        StringBuilder sb = new StringBuilder();
        appendTable(sb, items);
        sb.append('(').append(count(items.size(), "row", "rows")).append(")\n");
        return sb.toString();
    }

    private static void appendTable(StringBuilder sb, List<QueryResultItem> items) {
        Map<String, Integer> columns = new LinkedHashMap<>();
        List<Map<String, Object>> rows = new ArrayList<>(items.size());
        for (QueryResultItem item : items) {
            Map<String, Object> row = item.value();
            rows.add(row);
            for (String key : row.keySet()) columns.putIfAbsent(key, columns.size());
        }
        if (columns.isEmpty()) return; // items that are all {}: only the row count says anything

        List<String> names = new ArrayList<>(columns.keySet());
        int[] widths = new int[names.size()];
        for (int c = 0; c < names.size(); c++) widths[c] = width(names.get(c));
        List<String[]> cells = new ArrayList<>(rows.size());
        List<boolean[]> rightAligned = new ArrayList<>(rows.size());
        for (Map<String, Object> row : rows) {
            String[] line = new String[names.size()];
            boolean[] right = new boolean[names.size()];
            for (int c = 0; c < names.size(); c++) {
                String name = names.get(c);
                if (!row.containsKey(name)) {
                    line[c] = ""; // MISSING
                } else {
                    Object value = row.get(name);
                    line[c] = truncate(cell(value));
                    right[c] = value instanceof Number;
                }
                widths[c] = Math.max(widths[c], width(line[c]));
            }
            cells.add(line);
            rightAligned.add(right);
        }

        appendLine(sb, names.toArray(new String[0]), new boolean[names.size()], widths);
        StringBuilder rule = new StringBuilder();
        for (int c = 0; c < widths.length; c++) {
            if (c > 0) rule.append("-+-");
            rule.append("-".repeat(widths[c]));
        }
        sb.append(rule).append('\n');
        for (int r = 0; r < cells.size(); r++) appendLine(sb, cells.get(r), rightAligned.get(r), widths);
    }

    private static void appendLine(StringBuilder sb, String[] cells, boolean[] right, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < cells.length; c++) {
            if (c > 0) line.append(" | ");
            String pad = " ".repeat(widths[c] - width(cells[c]));
            if (right[c]) line.append(pad).append(cells[c]);
            else line.append(cells[c]).append(pad);
        }
        sb.append(line.toString().stripTrailing()).append('\n');
    }

    /** The text of one value: JSON, but strings without quotes. */
    static String cell(Object value) {
        return value instanceof String s ? escapeControls(s) : JsonArgs.write(value);
    }

    static String truncate(String text) {
        if (width(text) <= MAX_CELL_WIDTH) return text;
        return text.substring(0, text.offsetByCodePoints(0, MAX_CELL_WIDTH - 1)) + ELLIPSIS;
    }

    private static int width(String text) {
        return text.codePointCount(0, text.length());
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
