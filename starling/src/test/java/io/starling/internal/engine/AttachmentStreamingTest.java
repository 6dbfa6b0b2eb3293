package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.testsupport.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attachments are streamed, never whole in memory: a child JVM with a 64 MB heap stores a generated attachment much
 * larger than its heap and reads it back; the id, the hash computed while generating and the hash read back agree.
 * 64 MiB by default, 1 GiB with {@code -Pslow}.
 */
class AttachmentStreamingTest {
    @TempDir
    Path dir;

    @Test
    void anAttachmentLargerThanTheHeapIsStoredAndReadBack() throws Exception {
        run(64, Duration.ofMinutes(3));
    }

    @Test
    @Tag("slow")
    void aGibibyteAttachmentOnA64MegabyteHeap() throws Exception {
        run(1024, Duration.ofMinutes(20));
    }

    private void run(int mebibytes, Duration timeout) throws Exception {
        try (ChildJvm child = ChildJvm.builder(AttachmentStreamingChild.class)
                .name("attachment-streaming")
                .jvmOptions("-Xmx64m")
                .args(dir.resolve("db").toString(), Integer.toString(mebibytes))
                .start()) {
            assertThat(child.awaitExit(timeout)).as(child.describeOutput()).isZero();
            String id =
                    child.awaitLine(ChildJvm.Output.STDOUT, "the id", Duration.ofSeconds(5), l -> l.startsWith("id "));
            String made = child.awaitLine(
                    ChildJvm.Output.STDOUT, "the hash", Duration.ofSeconds(5), l -> l.startsWith("made "));
            String read = child.awaitLine(
                    ChildJvm.Output.STDOUT, "the hash read", Duration.ofSeconds(5), l -> l.startsWith("read "));
            String hash = made.substring(5);
            assertThat(id).isEqualTo("id " + hash + " len " + ((long) mebibytes << 20));
            assertThat(read).isEqualTo("read " + hash);
        }
    }
}
