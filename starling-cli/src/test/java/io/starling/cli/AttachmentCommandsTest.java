package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The shell's progress bar and the HTTP API's Range parsing. */
class AttachmentCommandsTest {
    @Test
    void theBarShowsTheShareDoneAndAlwaysHasOneWidth() {
        assertThat(AttachmentCommands.bar(0, 100).strip())
                .isEqualTo("[..............................]   0%  0 B of 100 B");
        assertThat(AttachmentCommands.bar(15 << 20, 30 << 20).strip())
                .isEqualTo("[###############...............]  50%  15.0 MiB of 30.0 MiB");
        assertThat(AttachmentCommands.bar(0, 0).strip()).startsWith("[" + "#".repeat(30) + "] 100%");
        assertThat(AttachmentCommands.bar(1, 3L << 30))
                .hasSize(AttachmentCommands.bar(3L << 30, 3L << 30).length());
    }

    @Test
    void oneRangeIsParsedAndAnythingElseRefused() {
        assertThat(AttachmentEndpoints.parseRange("bytes=0-9", 100)).containsExactly(0, 9);
        assertThat(AttachmentEndpoints.parseRange("bytes=90-", 100)).containsExactly(90, 99);
        assertThat(AttachmentEndpoints.parseRange("bytes=-5", 100)).containsExactly(95, 99);
        assertThat(AttachmentEndpoints.parseRange("bytes=-500", 100)).containsExactly(0, 99);
        assertThat(AttachmentEndpoints.parseRange("bytes=50-5000", 100)).containsExactly(50, 99);
        assertThat(AttachmentEndpoints.parseRange("bytes=100-", 100)).isNull();
        assertThat(AttachmentEndpoints.parseRange("bytes=5-1", 100)).isNull();
        assertThat(AttachmentEndpoints.parseRange("bytes=0-1,3-4", 100)).isNull();
        assertThat(AttachmentEndpoints.parseRange("items=0-1", 100)).isNull();
        assertThat(AttachmentEndpoints.parseRange("bytes=a-b", 100)).isNull();
        assertThat(AttachmentEndpoints.parseRange("bytes=-0", 100)).isNull();
    }
}
