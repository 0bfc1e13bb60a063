package io.smtpsidecar.hosts;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.addr.IpAddresses;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostListMatchingTest {

    @ParameterizedTest(name = "[{index}] {1} in \"{0}\" -> {2}")
    @CsvSource(delimiter = '|', value = {
        // IPv4 addresses and blocks
        "192.0.2.7                      | 192.0.2.7       | true",
        "192.0.2.7                      | 192.0.2.8       | false",
        "192.0.2.7/32                   | 192.0.2.7       | true",
        "192.0.2.7/32                   | 192.0.2.6       | false",
        "10.0.0.0/8                     | 10.255.255.255  | true",
        "10.0.0.0/8                     | 11.0.0.0        | false",
        "10.0.0.0/8                     | 9.255.255.255   | false",
        "192.0.2.128/25                 | 192.0.2.128     | true",
        "192.0.2.128/25                 | 192.0.2.127     | false",
        "172.16.0.0/12                  | 172.31.255.255  | true",
        "172.16.0.0/12                  | 172.32.0.0      | false",
        "10.1.2.3/8                     | 10.200.0.1      | true",
        "0.0.0.0/0                      | 203.0.113.9     | true",
        "0.0.0.0/0                      | 2001:db8::1     | false",
        // IPv6
        "<; 2001:db8::/32               | 2001:db8:ffff::1 | true",
        "<; 2001:db8::/32               | 2001:db9::1     | false",
        "<; 2001:db8::1/128             | 2001:db8::1     | true",
        "<; 2001:db8::1/128             | 2001:db8::2     | false",
        "<; 2001:db8::1                 | 2001:db8::1     | true",
        "<; 2001:db8::/33               | 2001:db8:7fff::1 | true",
        "<; 2001:db8::/33               | 2001:db8:8000::1 | false",
        "<; ::/0                        | 2001:db8::1     | true",
        "<; ::/0                        | 192.0.2.1       | false",
        "127.0.0.1 : ::::1              | ::1             | true",
        "127.0.0.1 : ::::1              | 127.0.0.1       | true",
        "127.0.0.1 : ::::1              | ::2             | false",
        // IPv4-mapped items become IPv4 items
        "<; ::ffff:10.0.0.0/104         | 10.9.8.7        | true",
        "<; ::ffff:10.0.0.0/104         | 11.0.0.1        | false",
        "<; ::ffff:0:0/96               | 198.51.100.1    | true",
        // * matches both families
        "*                              | 192.0.2.1       | true",
        "*                              | 2001:db8::1     | true",
        // first match wins
        "!10.0.0.1 : 10.0.0.0/8         | 10.0.0.1        | false",
        "!10.0.0.1 : 10.0.0.0/8         | 10.0.0.2        | true",
        "!10.0.0.1 : 10.0.0.0/8         | 192.0.2.1       | false",
        "10.0.0.0/8 : !10.0.0.1         | 10.0.0.1        | true",
        "!10.0.0.0/8 : *                | 10.1.1.1        | false",
        "!10.0.0.0/8 : *                | 192.0.2.1       | true",
        "!*                             | 192.0.2.1       | false",
        // a list ending in a negative item behaves as if '*' followed
        "!10.0.0.1                      | 10.0.0.1        | false",
        "!10.0.0.1                      | 10.0.0.2        | true",
        "192.0.2.0/24 : !10.0.0.0/8     | 203.0.113.1     | true",
        "192.0.2.0/24 : !10.0.0.0/8     | 10.0.0.1        | false",
        "!10.0.0.0/8 : 192.0.2.1        | 203.0.113.1     | false",
        "<; !2001:db8::/32              | 2001:db8::1     | false",
        "<; !2001:db8::/32              | 192.0.2.1       | true",
    })
    void matches(String list, String peer, boolean expected) {
        assertThat(HostList.parse(list).matches(IpAddresses.parse(peer))).isEqualTo(expected);
    }

    @Test
    void ipv4ItemsMatchIpv4MappedIpv6Peers() throws UnknownHostException {
        // as a dual-stack socket reports an IPv4 client: an Inet6Address in ::ffff:0:0/96
        InetAddress mapped = Inet6Address.getByAddress(null,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 1, 2, 3}, null);
        assertThat(mapped).isInstanceOf(Inet6Address.class);
        assertThat(HostList.parse("10.0.0.0/8").matches(mapped)).isTrue();
        assertThat(HostList.parse("10.1.2.3").matches(mapped)).isTrue();
        assertThat(HostList.parse("!10.1.2.3 : *").matches(mapped)).isFalse();
        assertThat(HostList.parse("192.0.2.0/24").matches(mapped)).isFalse();
        assertThat(HostList.parse("<; ::ffff:10.0.0.0/104").matches(mapped)).isTrue();
    }

    @Test
    void emptyListMatchesNothing() {
        assertThat(HostList.empty().matches(IpAddresses.parse("192.0.2.1"))).isFalse();
        assertThat(HostList.parse("").matches(IpAddresses.parse("::1"))).isFalse();
    }
}
