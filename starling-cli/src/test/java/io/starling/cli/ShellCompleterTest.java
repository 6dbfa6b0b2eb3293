package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Starling;
import io.starling.StarlingConfig;
import java.nio.file.Path;
import java.util.List;
import org.jline.reader.Parser.ParseContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tab completion: the candidates offered for the word at the cursor, in each context. */
class ShellCompleterTest {
    @TempDir
    Path dir;

    Starling db;
    ShellCompleter completer;

    @BeforeEach
    void open() {
        db = Starling.open(StarlingConfig.builder().databaseDirectory(dir).build());
        db.store()
                .execute("INSERT INTO cars DOCUMENTS ({'_id': 'a', 'make': 'Ford', 'owner': {'name': 'Ann',"
                        + " 'address': {'city': 'Oslo'}}}), ({'_id': 'b', 'year': 1999, 'odd name': 1})");
        db.store().execute("INSERT INTO `my tasks` DOCUMENTS ({'_id': 1, 'title': 'milk'})");
        completer = new ShellCompleter(db.store());
    }

    @AfterEach
    void close() {
        db.close();
    }

    /** Candidates at the end of {@code input}. */
    List<String> at(String input) {
        return completer.candidates(input, input.length());
    }

    @Test
    void dotCommandsAtTheStart() {
        assertThat(at(".")).containsExactlyElementsOf(ShellCompleter.DOT_COMMANDS);
        assertThat(at("  .wa")).contains(".watch");
        assertThat(at(".format ")).containsExactly("table", "json", "jsonl");
        assertThat(at(".peers ")).isEmpty();
    }

    @Test
    void collectionsAfterFromIntoUpdateAndOn() {
        List<String> collections = List.of("cars", "`my tasks`", "system:collections", "system:indexes", "system:info");
        assertThat(at("SELECT * FROM ")).containsExactlyElementsOf(collections);
        assertThat(at("select * from ca")).containsExactlyElementsOf(collections);
        assertThat(at("INSERT INTO ")).containsExactlyElementsOf(collections);
        assertThat(at("UPDATE ")).containsExactlyElementsOf(collections);
        assertThat(at("CREATE INDEX i ON ")).containsExactlyElementsOf(collections);
        assertThat(at("DELETE FROM ")).containsExactlyElementsOf(collections);
        assertThat(at(".watch SELECT * FROM ")).containsExactlyElementsOf(collections);
    }

    @Test
    void keywordsAndTheFieldsOfTheCollectionBeingQueried() {
        List<String> select = at("SELECT * FROM cars WHERE ");
        assertThat(select)
                .contains("AND", "ORDER", "LIMIT", "COUNT")
                .contains("_id", "make", "year", "owner", "owner.name", "owner.address", "`odd name`")
                .doesNotContain("owner.address.city", "title");
        // the collection may come after the cursor
        assertThat(at("SELECT ")).doesNotContain("make");
        assertThat(completer.candidates("SELECT ma FROM cars", "SELECT ma".length()))
                .contains("make");
        // keywords in the case the word was started in
        assertThat(at("SELECT * FROM cars wh")).contains("where").doesNotContain("WHERE");
        assertThat(at("SELECT * FROM cars WH")).contains("WHERE");
        assertThat(at("SELECT * FROM `my tasks` WHERE ")).contains("title").doesNotContain("make");
        // after an earlier statement on the same line, the current one counts
        assertThat(at("SELECT * FROM `my tasks`; SELECT * FROM cars WHERE ")).contains("make");
    }

    @Test
    void aSystemCollectionHasFieldsToo() {
        db.store().execute("CREATE INDEX by_make ON cars (make)");
        assertThat(at("SELECT * FROM system:indexes WHERE ")).contains("collection", "fields");
    }

    @Test
    void theParserGivesTheWordAtTheCursor() {
        ShellLineParser parser = new ShellLineParser();
        var line = parser.parse("SELECT * FROM system:ind", 24, ParseContext.COMPLETE);
        assertThat(line.word()).isEqualTo("system:ind");
        assertThat(line.wordCursor()).isEqualTo(10);
        line = parser.parse("SELECT owner.na FROM cars", 15, ParseContext.COMPLETE);
        assertThat(line.word()).isEqualTo("owner.na");
        line = parser.parse("SELECT  FROM cars", 7, ParseContext.COMPLETE);
        assertThat(line.word()).isEmpty();
        line = parser.parse(".for", 4, ParseContext.COMPLETE);
        assertThat(line.word()).isEqualTo(".for");
    }
}
