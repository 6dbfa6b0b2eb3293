package io.starling.internal.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptionsTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void refusesBadValuesSayingWhich() throws Exception {
        assertThatThrownBy(() -> new LanDiscovery.Options(null, 1, 1, 4000, null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("appId");
        assertThatThrownBy(() -> new LanDiscovery.Options(" ", 1, 1, 4000, null))
                .hasMessage("appId must not be blank");
        assertThatThrownBy(() -> new LanDiscovery.Options("a", 1, -1, 4000, null))
                .hasMessage("protocolVersion must not be negative: -1");
        assertThatThrownBy(() -> new LanDiscovery.Options("a", 1, 1, 0, null)).hasMessage("port must be 1 to 65535: 0");
        assertThatThrownBy(() -> new LanDiscovery.Options("a", 1, 1, 65536, null))
                .hasMessage("port must be 1 to 65535: 65536");
        InetAddress any = InetAddress.getByName("0.0.0.0");
        assertThatThrownBy(() -> new LanDiscovery.Options("a", 1, 1, 4000, any)).hasMessageContaining("0.0.0.0");
        InetAddress group = InetAddress.getByName("224.0.0.251");
        assertThatThrownBy(() -> new LanDiscovery.Options("a", 1, 1, 4000, group))
                .hasMessageContaining("224.0.0.251");
        assertThat(new LanDiscovery.Options("a", -1, 0, 65535, LOOPBACK).bindAddress())
                .isEqualTo(LOOPBACK);
    }

    @Test
    void startRefusesAnAddressThatIsNotThisHosts() throws Exception {
        // TEST-NET-3 (RFC 5737): never assigned to a host; nothing is sent, the check is a local lookup
        InetAddress foreign = InetAddress.getByName("203.0.113.77");
        LanDiscovery.Options options = new LanDiscovery.Options("a", 1, 1, 4000, foreign);
        assertThatThrownBy(() -> LanDiscovery.start(options, f -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bindAddress 203.0.113.77 is not an address of this host");
    }

    @Test
    void foundCopiesItsAddressesAndNeedsOne() {
        List<InetSocketAddress> list = new ArrayList<>(List.of(new InetSocketAddress(LOOPBACK, 1)));
        LanDiscovery.Found found = new LanDiscovery.Found(1, list);
        list.clear();
        assertThat(found.addresses()).hasSize(1);
        assertThatThrownBy(() -> new LanDiscovery.Found(1, List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
