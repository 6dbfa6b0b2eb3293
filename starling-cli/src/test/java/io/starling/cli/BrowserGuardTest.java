package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.cli.BrowserGuard.Refusal;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Host, Origin and Sec-Fetch-Site: what a web page cannot get past, and what every other client does. */
class BrowserGuardTest {
    private static final BrowserGuard STRICT = BrowserGuard.strict();

    private static Refusal refusal(BrowserGuard guard, String host, String origin, String fetchSite) {
        BrowserGuard.Verdict v = guard.check(host, origin, fetchSite);
        return v == null ? null : v.refusal();
    }

    @Test
    void clientsThatAreNotBrowsersPass() {
        for (String host : new String[] {
            "127.0.0.1:8080",
            "127.0.0.1",
            "localhost:8080",
            "LOCALHOST.:8080",
            "[::1]:8080",
            "192.168.1.20:8080",
            "10.0.0.1",
            "[fe80::1]"
        }) {
            assertThat(refusal(STRICT, host, null, null)).as(host).isNull();
        }
    }

    @Test
    void aHostThatIsANameIsRefusedUnlessAllowed() {
        // DNS rebinding: the attacker's name resolves to 127.0.0.1, but the browser still sends that name
        assertThat(refusal(STRICT, "evil.example:8080", null, null)).isEqualTo(Refusal.FOREIGN_HOST);
        assertThat(refusal(STRICT, "evil.example:8080", "http://evil.example:8080", "same-origin"))
                .isEqualTo(Refusal.FOREIGN_HOST);
        assertThat(refusal(STRICT, "sub.localhost:8080", null, null)).isEqualTo(Refusal.FOREIGN_HOST);
        assertThat(refusal(STRICT, "127.0.0.1.evil.example", null, null)).isEqualTo(Refusal.FOREIGN_HOST);
        assertThat(refusal(STRICT, "1.2.3", null, null)).isEqualTo(Refusal.FOREIGN_HOST);
        assertThat(refusal(STRICT, "256.0.0.1", null, null)).isEqualTo(Refusal.FOREIGN_HOST);
        for (String malformed :
                new String[] {"a b", "user@127.0.0.1", "127.0.0.1:x", "[::1", "127.0.0.1:99999", "::1"}) {
            assertThat(refusal(STRICT, malformed, null, null)).as(malformed).isEqualTo(Refusal.FOREIGN_HOST);
        }
        assertThat(refusal(STRICT, null, null, null)).isEqualTo(Refusal.MISSING_HOST);
        assertThat(refusal(STRICT, " ", null, null)).isEqualTo(Refusal.MISSING_HOST);

        BrowserGuard proxy = new BrowserGuard(Set.of("DB.Example.com"), Set.of());
        assertThat(refusal(proxy, "db.example.com", "https://db.example.com", "same-origin"))
                .isNull();
        assertThat(refusal(proxy, "db.example.com.:443", null, null)).isNull();
        assertThat(refusal(proxy, "other.example.com", null, null)).isEqualTo(Refusal.FOREIGN_HOST);
    }

    @Test
    void anOriginMustBeTheRequestsOwn() {
        assertThat(refusal(STRICT, "127.0.0.1:8080", "http://127.0.0.1:8080", null))
                .isNull();
        assertThat(refusal(STRICT, "localhost:8080", "http://LOCALHOST:8080", "same-origin"))
                .isNull();
        assertThat(refusal(STRICT, "[::1]:8080", "http://[::1]:8080", null)).isNull();
        assertThat(refusal(STRICT, "127.0.0.1", "http://127.0.0.1", null)).isNull();
        assertThat(refusal(STRICT, "127.0.0.1:80", "http://127.0.0.1", null)).isNull();
        assertThat(refusal(STRICT, "127.0.0.1:443", "https://127.0.0.1", null)).isNull();
        // the scheme is not compared: behind a TLS proxy the page is https and this server sees plain HTTP; no other
        // server can serve pages from the host and port the browser sent its request to
        assertThat(refusal(STRICT, "127.0.0.1:8080", "https://127.0.0.1:8080", null))
                .isNull();

        for (String foreign : new String[] {
            "http://evil.example",
            "http://127.0.0.1:3000", // another port on the same machine is another origin
            "http://localhost:8080", // another name for the same place is another origin
            "null", // sandboxed frames, file: pages
            "http://127.0.0.1:8080/path",
            "ftp://127.0.0.1:8080",
            "not a url"
        }) {
            assertThat(refusal(STRICT, "127.0.0.1:8080", foreign, null))
                    .as(foreign)
                    .isEqualTo(Refusal.FOREIGN_ORIGIN);
        }
    }

    @Test
    void aConfiguredOriginPassesForAProxyThatRewritesHost() {
        BrowserGuard proxy = new BrowserGuard(Set.of(), Set.of("https://App.Example.com"));
        assertThat(refusal(proxy, "127.0.0.1:8080", "https://app.example.com", "same-origin"))
                .isNull();
        assertThat(refusal(proxy, "127.0.0.1:8080", "https://app.example.com:8443", null))
                .isEqualTo(Refusal.FOREIGN_ORIGIN);
        assertThatThrownBy(() -> new BrowserGuard(Set.of(), Set.of("app.example.com")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("scheme://host[:port]");
    }

    @Test
    void secFetchSiteCatchesRequestsThatCarryNoOrigin() {
        // <img src>, <script src>: no Origin, but modern browsers say where the request comes from
        assertThat(refusal(STRICT, "127.0.0.1:8080", null, "cross-site")).isEqualTo(Refusal.FOREIGN_ORIGIN);
        assertThat(refusal(STRICT, "127.0.0.1:8080", null, "same-site")).isEqualTo(Refusal.FOREIGN_ORIGIN);
        assertThat(refusal(STRICT, "127.0.0.1:8080", null, "same-origin")).isNull();
        assertThat(refusal(STRICT, "127.0.0.1:8080", null, "none")).isNull(); // typed into the address bar
    }
}
