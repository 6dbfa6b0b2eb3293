package io.starling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The identity modes as values: what each says about itself, and the online mode's checks of its arguments. */
class IdentityTest {
    static final Path ANCHOR = Path.of("authority.pem");

    @Test
    void theOnlineModeKeepsItsLoginAndNeverPrintsTheToken() {
        Identity id = Identity.online(URI.create("http://127.0.0.1:8080"), "dev", "secret-token", ANCHOR);
        assertThat(id.isOnline()).isTrue();
        assertThat(id.isPlayground()).isFalse();
        assertThat(id.keyFile()).isNull();
        assertThat(id.authority()).isEqualTo(URI.create("http://127.0.0.1:8080"));
        assertThat(id.provider()).isEqualTo("dev");
        assertThat(id.token()).isEqualTo("secret-token");
        assertThat(id.trustAnchor()).isEqualTo(ANCHOR);
        assertThat(id.toString()).contains("127.0.0.1:8080").contains("dev").doesNotContain("secret-token");
        assertThat(id).isEqualTo(Identity.online(URI.create("http://127.0.0.1:8080"), "dev", "secret-token", ANCHOR));
        assertThat(id).isNotEqualTo(Identity.online(URI.create("http://127.0.0.1:8080"), "dev", "other", ANCHOR));
    }

    @Test
    void theAuthorityIsOnlineAndTrustsItsOwnAnchor() {
        Identity id = Identity.authority(Path.of("auth"));
        assertThat(id.isOnline()).isTrue();
        assertThat(id.authorityDirectory()).isEqualTo(Path.of("auth"));
        assertThat(id.trustAnchor()).isEqualTo(Path.of("auth", "authority.pem"));
        assertThat(id.token()).isNull();
        assertThat(Identity.playground().isOnline()).isFalse();
        assertThat(Identity.sharedKey(Path.of("k")).isOnline()).isFalse();
    }

    @Test
    void badOnlineArgumentsAreRefusedNamingTheArgument() {
        assertThatThrownBy(() -> Identity.online(URI.create("localhost:8080"), "dev", "t", ANCHOR))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("absolute http:// or https:// URL");
        assertThatThrownBy(() -> Identity.online(URI.create("ftp://h/"), "dev", "t", ANCHOR))
                .hasMessageContaining("absolute http:// or https:// URL");
        assertThatThrownBy(() -> Identity.online(URI.create("http://u:p@h/"), "dev", "t", ANCHOR))
                .hasMessageContaining("user name or password");
        assertThatThrownBy(() -> Identity.online(URI.create("http://h/"), " ", "t", ANCHOR))
                .hasMessageContaining("provider is empty");
        assertThatThrownBy(() -> Identity.online(URI.create("http://h/"), "dev", "", ANCHOR))
                .hasMessageContaining("token is empty");
    }
}
