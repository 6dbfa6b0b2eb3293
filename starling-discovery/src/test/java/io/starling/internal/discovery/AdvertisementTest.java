package io.starling.internal.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdvertisementTest {
    private static Advertisement of(String appId, long peerId, int proto) {
        return Advertisement.of(new LanDiscovery.Options(appId, peerId, proto, 4000, InetAddress.getLoopbackAddress()));
    }

    @Test
    void appHashIsTheFirst16HexDigitsOfSha256AndNeverTheAppId() {
        // echo -n io.starling.example | sha256sum
        Advertisement ad = of("io.starling.example", 1, 1);
        assertThat(ad.appHash()).isEqualTo("a15451c28ef92500");
        assertThat(ad.txt()).containsEntry("app", "a15451c28ef92500").doesNotContainValue("io.starling.example");
    }

    @Test
    void instanceNameAndTxtCarryThePeerIdIn16HexDigits() {
        Advertisement ad = of("app", 0xfedcba9876543210L, 7);
        assertThat(ad.instanceName()).isEqualTo("starling-fedcba9876543210");
        assertThat(ad.txt()).isEqualTo(Map.of("app", "a172cedcae47474b", "peer", "fedcba9876543210", "proto", "7"));
        assertThat(of("app", 5, 1).instanceName()).isEqualTo("starling-0000000000000005");
    }

    @Test
    void parseReadsWhatTxtWrites() {
        Advertisement ad = of("app", -2, 3);
        assertThat(Advertisement.parse(ad.txt()::get)).isEqualTo(ad);
        Map<String, String> upper = new HashMap<>(ad.txt());
        upper.put("peer", "FFFFFFFFFFFFFFFE");
        assertThat(Advertisement.parse(upper::get)).isEqualTo(ad);
    }

    @Test
    void parseRefusesMissingOrMalformedPropertiesNamingThem() {
        assertRefused(Map.of("peer", "0000000000000001", "proto", "1"), "no app");
        assertRefused(Map.of("app", "a172cedcae47474b", "proto", "1"), "no peer");
        assertRefused(Map.of("app", "a172cedcae47474b", "peer", "0000000000000001"), "no proto");
        assertRefused(txt("a172cedcae47474", "0000000000000001", "1"), "app=a172cedcae47474 is not 16 hex digits");
        assertRefused(txt("a172cedcae47474g", "0000000000000001", "1"), "is not 16 hex digits");
        assertRefused(txt("a172cedcae47474b", "00000000000000001", "1"), "peer=00000000000000001 is not 16 hex digits");
        assertRefused(txt("a172cedcae47474b", "000000000000000\u0663", "1"), "is not 16 hex digits"); // Arabic-Indic 3
        assertRefused(txt("a172cedcae47474b", "0000000000000001", "+1"), "proto=+1 is not a decimal number");
        assertRefused(txt("a172cedcae47474b", "0000000000000001", "-1"), "not a decimal number");
        assertRefused(txt("a172cedcae47474b", "0000000000000001", ""), "not a decimal number");
        assertRefused(txt("a172cedcae47474b", "0000000000000001", "9999999999"), "not a decimal number");
    }

    private static Map<String, String> txt(String app, String peer, String proto) {
        return Map.of("app", app, "peer", peer, "proto", proto);
    }

    private static void assertRefused(Map<String, String> txt, String message) {
        assertThatThrownBy(() -> Advertisement.parse(txt::get))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }
}
