package io.starling.internal.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SessionConfigTest {

    @Test
    void defaults() {
        SessionConfig c = SessionConfig.defaults();
        assertThat(c.maxFrameBytes()).isEqualTo(1 << 20);
        assertThat(c.batchBytes()).isEqualTo(256 << 10);
        assertThat(c.window()).isEqualTo(4);
        assertThat(c.maxGroupBytes()).isEqualTo(64L << 20);
        assertThat(c.helloTimeoutMillis()).isEqualTo(10_000);
        assertThat(c.progressTimeoutMillis()).isEqualTo(60_000);
        assertThat(c.echoEntries()).isEqualTo(100_000);
        assertThat(c.protocolVersion()).isEqualTo(1);
        assertThat(c.toString()).contains("window=4");
    }

    @Test
    void badValuesAreRefusedAtOnceNamingThem() {
        assertThatThrownBy(() -> SessionConfig.builder().maxFrameBytes(1000))
                .hasMessageContaining("maxFrameBytes")
                .hasMessageContaining("1000");
        assertThatThrownBy(() -> SessionConfig.builder().maxFrameBytes((64 << 20) + 1))
                .hasMessageContaining("maxFrameBytes");
        assertThatThrownBy(() -> SessionConfig.builder().batchBytes(100))
                .hasMessageContaining("batchBytes")
                .hasMessageContaining("100");
        assertThatThrownBy(() -> SessionConfig.builder().window(0)).hasMessageContaining("window");
        assertThatThrownBy(() -> SessionConfig.builder().maxGroupBytes(10)).hasMessageContaining("maxGroupBytes");
        assertThatThrownBy(() -> SessionConfig.builder().helloTimeoutMillis(0))
                .hasMessageContaining("helloTimeoutMillis");
        assertThatThrownBy(() -> SessionConfig.builder().progressTimeoutMillis(-1))
                .hasMessageContaining("progressTimeoutMillis");
        assertThatThrownBy(() -> SessionConfig.builder().echoEntries(-1)).hasMessageContaining("echoEntries");
    }

    @Test
    void buildChecksHowValuesRelate() {
        assertThatThrownBy(() -> SessionConfig.builder()
                        .maxFrameBytes(4 << 20)
                        .maxGroupBytes(1 << 20)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxGroupBytes (1048576) must be at least maxFrameBytes (4194304)");
        assertThat(SessionConfig.builder()
                        .maxFrameBytes(64 << 10)
                        .maxGroupBytes(64 << 10)
                        .build()
                        .maxGroupBytes())
                .isEqualTo(64 << 10);
    }
}
