package io.starling.internal.cdc.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sink's stored position: written whole, read back, refused clearly when it is not one. */
class CursorFileTest {
    @TempDir
    Path dir;

    @Test
    void noFileIsNoPosition() {
        assertThat(new CursorFile(dir.resolve("none")).load()).isNull();
    }

    @Test
    void aSavedPositionReadsBackAndReplacesTheOldOneWhole() throws Exception {
        Path file = dir.resolve("sub/kafka-sink.cursor");
        CursorFile cursors = new CursorFile(file);
        cursors.save(new CursorFile.Position(41, "topic:changes"));
        cursors.save(new CursorFile.Position(1234, "prefix:starling."));
        assertThat(cursors.load()).isEqualTo(new CursorFile.Position(1234, "prefix:starling."));
        assertThat(Files.readString(file)).contains("cursor=1234\ntopics=prefix:starling.\n");
        try (var files = Files.list(file.getParent())) {
            assertThat(files).containsExactly(file); // no temporary file left behind
        }
    }

    @Test
    void aFileThatIsNotACursorFileIsRefusedWithItsNameAndLine() throws Exception {
        Path file = dir.resolve("kafka-sink.cursor");
        Files.writeString(file, "# comment\ncursor=12x\ntopics=topic:t\n");
        assertThatThrownBy(() -> new CursorFile(file).load())
                .isInstanceOf(KafkaSinkException.class)
                .hasMessage("the Kafka sink's cursor file " + file.toAbsolutePath()
                        + ", line 2: the cursor '12x' is not a number 0 or greater; fix it, or delete it to send every"
                        + " document again");
        Files.writeString(file, "cursor=-1\ntopics=topic:t\n");
        assertThatThrownBy(() -> new CursorFile(file).load()).hasMessageContaining("line 1: the cursor '-1'");
        Files.writeString(file, "hello\n");
        assertThatThrownBy(() -> new CursorFile(file).load())
                .hasMessageContaining("line 1: expected cursor=N or topics=…, got 'hello'");
        Files.writeString(file, "cursor=5\n");
        assertThatThrownBy(() -> new CursorFile(file).load()).hasMessageContaining("lacks a topics= line");
    }
}
