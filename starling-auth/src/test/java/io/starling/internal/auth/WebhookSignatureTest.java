package io.starling.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class WebhookSignatureTest {
    static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    static final byte[] BODY =
            "{\"appId\":\"app\",\"provider\":\"corp\",\"token\":\"tok\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void theHeaderIsHmacSha256OfTimeDotBody() {
        // computed independently: python3 -c "import hmac,hashlib; print(hmac.new(SECRET, b'1700000000.' + BODY,
        // hashlib.sha256).hexdigest())"
        assertThat(WebhookSignature.header(SECRET, 1_700_000_000L, BODY))
                .isEqualTo("t=1700000000,v1=eb0040bdb555d4c1134cf9163c5fd584d87c3019946b5bba25dee7de45e6c2a8");
    }

    @Test
    void verifyAcceptsOnlyTheSameSecretBodyAndARecentTime() {
        String h = WebhookSignature.header(SECRET, 1_700_000_000L, BODY);
        Duration fiveMinutes = Duration.ofMinutes(5);
        assertThat(WebhookSignature.verify(SECRET, h, BODY, 1_700_000_000L, fiveMinutes))
                .isTrue();
        assertThat(WebhookSignature.verify(SECRET, h, BODY, 1_700_000_300L, fiveMinutes))
                .isTrue();
        assertThat(WebhookSignature.verify(SECRET, h, BODY, 1_700_000_301L, fiveMinutes))
                .isFalse();
        byte[] other = BODY.clone();
        other[other.length - 3] = 'x';
        assertThat(WebhookSignature.verify(SECRET, h, other, 1_700_000_000L, fiveMinutes))
                .isFalse();
        byte[] otherSecret = "0123456789abcdef0123456789abcdeF".getBytes(StandardCharsets.UTF_8);
        assertThat(WebhookSignature.verify(otherSecret, h, BODY, 1_700_000_000L, fiveMinutes))
                .isFalse();
        String laterT = h.replace("t=1700000000", "t=1700000001");
        assertThat(WebhookSignature.verify(SECRET, laterT, BODY, 1_700_000_000L, fiveMinutes))
                .isFalse();
        for (String bad : new String[] {"", "t=1700000000", "v1=00", "t=x,v1=00", "t=1700000000,v1=zz"}) {
            assertThat(WebhookSignature.verify(SECRET, bad, BODY, 1_700_000_000L, fiveMinutes))
                    .as(bad)
                    .isFalse();
        }
    }
}
