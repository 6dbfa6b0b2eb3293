package io.starling.internal.query;

import io.starling.internal.index.IndexDefinition;
import java.util.List;

/**
 * {@code CREATE INDEX [IF NOT EXISTS] name ON collection (path [ASC|DESC], …)} (or Ditto's
 * {@code CREATE INDEX collection.name (…)}). Paths are field paths without array positions, each listed once
 * (checked at parse time). The engine creates the index and fills it in the statement's write transaction; with
 * {@code IF NOT EXISTS} an index of that name on that collection is left as it is, whatever its fields (Ditto's
 * rule), otherwise an existing name is an error.
 */
public final class CreateIndexStatement extends BaseStatement implements Statement {
    private final IndexDefinition index;
    private final boolean ifNotExists;
    private final int line;
    private final int column;

    CreateIndexStatement(IndexDefinition index, boolean ifNotExists, int line, int column) {
        super(List.of(), 0);
        this.index = index;
        this.ifNotExists = ifNotExists;
        this.line = line;
        this.column = column;
    }

    /** The index name (unique within its collection). */
    public String name() {
        return index.name();
    }

    @Override
    public String collection() {
        return index.collection();
    }

    /** The definition to create: name, collection and key fields with their directions. */
    public IndexDefinition index() {
        return index;
    }

    public boolean ifNotExists() {
        return ifNotExists;
    }

    /** True: the engine runs it in a write transaction. */
    @Override
    public boolean isMutation() {
        return true;
    }

    /** 1-based line of {@code CREATE}, for errors about the statement as a whole (an index that already exists). */
    public int line() {
        return line;
    }

    /** 1-based column of {@code CREATE}. */
    public int column() {
        return column;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("CREATE INDEX ");
        if (ifNotExists) sb.append("IF NOT EXISTS ");
        Keywords.appendIdentifier(sb, index.name());
        sb.append(" ON ").append(Parser.collectionText(index.collection())).append(" (");
        List<IndexDefinition.Field> fields = index.fields();
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) sb.append(", ");
            Node.printSegments(sb, fields.get(i).path().segments(), false);
            if (fields.get(i).descending()) sb.append(" DESC");
        }
        return sb.append(')').toString();
    }
}
