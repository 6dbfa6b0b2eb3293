package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SystemCollectionParseTest {
    @Test
    void systemCollectionsAreNamedWithAColon() {
        assertThat(Dql.parse("SELECT * FROM system:indexes").collection()).isEqualTo("system:indexes");
        assertThat(Dql.parse("SELECT name FROM SYSTEM:Collections WHERE documents > 0")
                        .collection())
                .isEqualTo("system:collections");
        assertThat(Dql.parse("SELECT * FROM system").collection()).isEqualTo("system");
    }

    @Test
    void aSpacedColonIsNotACollectionName() {
        assertThatThrownBy(() -> Dql.parse("SELECT * FROM system : indexes")).isInstanceOf(DqlException.class);
    }
}
