package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PlainFilterTest {
    static boolean plain(String q) {
        return ((SelectStatement) Dql.parse(q)).isPlainFilter();
    }

    @Test
    void onlySelectStarWithAnOptionalWhereIsAPlainFilter() {
        assertThat(plain("SELECT * FROM c")).isTrue();
        assertThat(plain("SELECT * FROM c WHERE a = 1 AND b > :x")).isTrue();
        assertThat(plain("SELECT a FROM c")).isFalse();
        assertThat(plain("SELECT DISTINCT * FROM c")).isFalse();
        assertThat(plain("SELECT * FROM c ORDER BY a")).isFalse();
        assertThat(plain("SELECT * FROM c LIMIT 1")).isFalse();
        assertThat(plain("SELECT * FROM c OFFSET 1")).isFalse();
        assertThat(plain("SELECT COUNT(*) FROM c")).isFalse();
    }
}
