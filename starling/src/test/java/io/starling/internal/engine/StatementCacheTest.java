package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.query.Dql;
import io.starling.internal.query.Statement;
import org.junit.jupiter.api.Test;

class StatementCacheTest {
    private static final Statement PARSED = Dql.parse("SELECT * FROM c");

    @Test
    void aLongBatchInsertIsCached() {
        StringBuilder text = new StringBuilder("INSERT INTO docs DOCUMENTS ");
        for (int i = 0; i < 1000; i++)
            text.append(i == 0 ? "" : ", ").append("(:d").append(i).append(')');
        Statement insert = Dql.parse(text.toString());
        StatementCache cache =
                new StatementCache(512, DefaultStore.MAX_CACHED_STATEMENT_LENGTH, DefaultStore.STATEMENT_CACHE_CHARS);
        cache.put(text.toString(), insert);
        assertThat(cache.get(text.toString())).isSameAs(insert);
    }

    @Test
    void aTextLongerThanTheLimitIsNotCached() {
        StatementCache cache = new StatementCache(10, 8, 100);
        cache.put("123456789", PARSED);
        assertThat(cache.get("123456789")).isNull();
        assertThat(cache.size()).isZero();
        cache.put("12345678", PARSED);
        assertThat(cache.get("12345678")).isSameAs(PARSED);
    }

    @Test
    void theLeastRecentlyUsedGoesWhenEntriesOrCharactersRunOut() {
        StatementCache byCount = new StatementCache(2, 10, 100);
        byCount.put("a", PARSED);
        byCount.put("b", PARSED);
        byCount.get("a"); // b is now the eldest
        byCount.put("c", PARSED);
        assertThat(byCount.get("b")).isNull();
        assertThat(byCount.get("a")).isSameAs(PARSED);
        assertThat(byCount.size()).isEqualTo(2);

        StatementCache byChars = new StatementCache(100, 10, 20);
        byChars.put("aaaaaaaaaa", PARSED);
        byChars.put("bbbbbbbbbb", PARSED);
        assertThat(byChars.totalChars()).isEqualTo(20);
        byChars.put("ccccc", PARSED); // 25 > 20: the eldest goes
        assertThat(byChars.get("aaaaaaaaaa")).isNull();
        assertThat(byChars.get("bbbbbbbbbb")).isSameAs(PARSED);
        assertThat(byChars.totalChars()).isEqualTo(15);
        byChars.put("ccccc", PARSED); // the same text again: counted once
        assertThat(byChars.totalChars()).isEqualTo(15);
    }

    @Test
    void boundsAreChecked() {
        assertThatThrownBy(() -> new StatementCache(0, 10, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new StatementCache(10, 10, 9)).isInstanceOf(IllegalArgumentException.class);
    }
}
