package io.throughline.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Per-address limits count an IPv6 subscriber's whole /64 as one address. */
class ClientAddressTest {

    @Test
    void ipv6AddressesOfOneSlash64ShareAKey() {
        assertThat(ClientAddress.limitKey("2001:db8:1:2::1")).isEqualTo(ClientAddress.limitKey("2001:db8:1:2:ffff::9"))
                .isEqualTo("20010db800010002::/64");
        assertThat(ClientAddress.limitKey("2001:db8:1:3::1")).isNotEqualTo(ClientAddress.limitKey("2001:db8:1:2::1"));
        assertThat(ClientAddress.limitKey("fe80::1%eth0")).isEqualTo(ClientAddress.limitKey("fe80::2"));
    }

    @Test
    void ipv4AndAnythingElseStayAsTheyAre() {
        assertThat(ClientAddress.limitKey("203.0.113.9")).isEqualTo("203.0.113.9");
        assertThat(ClientAddress.limitKey("::ffff:203.0.113.9")).isEqualTo("203.0.113.9");
        assertThat(ClientAddress.limitKey("unknown")).isEqualTo("unknown");
        assertThat(ClientAddress.limitKey("proxy.example:8080")).isEqualTo("proxy.example:8080");
    }
}
