package io.smtpsidecar.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.addr.IpAddresses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostNamesTest {
    @ParameterizedTest
    @ValueSource(strings = {"client5.e2e.test", "a", "mx-1.example.org", "0.example", "A.B"})
    void validNames(String name) {
        assertThat(HostNames.isValid(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "a..b", ".a", "a.", "under_score.example", "sp ace.example", "crlf\r\n.example",
        "x=y.example", "ünï.example", "a+b.example"})
    void invalidNames(String name) {
        assertThat(HostNames.isValid(name)).isFalse();
    }

    @Test
    void lengthLimits() {
        assertThat(HostNames.isValid("a".repeat(63) + ".example")).isTrue();
        assertThat(HostNames.isValid("a".repeat(64) + ".example")).isFalse();
        String name255 = ("a".repeat(63) + ".").repeat(3) + "b".repeat(63);
        assertThat(name255).hasSize(255);
        assertThat(HostNames.isValid(name255)).isTrue();
        assertThat(HostNames.isValid(name255 + "c")).isFalse();
    }

    @Test
    void reverseNames() {
        assertThat(ReverseNames.of(IpAddresses.parse("192.0.2.1"))).isEqualTo("1.2.0.192.in-addr.arpa");
        assertThat(ReverseNames.of(IpAddresses.parse("2001:db8::567:89ab"))).isEqualTo(
            "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    }
}
