package io.smtpsidecar.hosts;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostListErrorTest {
    private static final String IPV6_HINT = " (in a ':'-separated list write each ':' of an IPv6 address as '::',"
            + " or change the separator, e.g. '<; 2001:db8::/32 ; 10.0.0.0/8')";

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @CsvSource(delimiter = '|', value = {
        "mail.example.org             | item 'mail.example.org': host names are not supported (use addresses or CIDR)",
        "10.0.0.1 : localhost         | item 'localhost': host names are not supported (use addresses or CIDR)",
        "*.example.org                | item '*.example.org': host names are not supported (use addresses or CIDR)",
        "!mail.example.org            | item '!mail.example.org': host names are not supported (use addresses or CIDR)",
        "@                            | item '@': '@' items (local host name, MX lookups) are not supported",
        "@mx_any                      | item '@mx_any': '@' items (local host name, MX lookups) are not supported",
        "@[]                          | item '@[]': '@[]' (local interface addresses) is not supported",
        "net-lsearch;/etc/proxies     | item 'net-lsearch;/etc/proxies': lookups are not supported",
        "net24-iplsearch;/etc/proxies | item 'net24-iplsearch;/etc/proxies': lookups are not supported",
        "+relay_hosts                 | item '+relay_hosts': named lists are not supported",
        "^mail\\d+\\.example          | item '^mail\\d+\\.example': regular expressions are not supported",
        "${lookup{x}}                 | item '${lookup{x}}': string expansions are not supported",
        "$proxy_hosts                 | item '$proxy_hosts': string expansions are not supported",
        "!                            | item '!': '!' must be followed by an address, CIDR or '*'",
        "10.0.0.1 : ! : 10.0.0.2      | item '!': '!' must be followed by an address, CIDR or '*'",
        "!!10.0.0.1                   | item '!!10.0.0.1': double negation is not supported",
        "10.0.0.0/33                  | item '10.0.0.0/33': prefix length out of range (0..32)",
        "<; 2001:db8::/129            | item '2001:db8::/129': prefix length out of range (0..128)",
        "10.0.0.0/99999999999999999999 | item '10.0.0.0/99999999999999999999': prefix length out of range (0..32)",
        "10.0.0.0/                    | item '10.0.0.0/': prefix length '' is not a decimal number",
        "10.0.0.0/x                   | item '10.0.0.0/x': prefix length 'x' is not a decimal number",
        "10.0.0.0/-1                  | item '10.0.0.0/-1': prefix length '-1' is not a decimal number",
        "10.0.0.0/8/8                 | item '10.0.0.0/8/8': prefix length '8/8' is not a decimal number",
        "10.0.0.0/ 8                  | item '10.0.0.0/ 8': prefix length ' 8' is not a decimal number",
        "10.0.0/8                     | item '10.0.0/8': '10.0.0' is not an IP address",
        "10.0.0.256                   | item '10.0.0.256': '10.0.0.256' is not an IP address",
        "010.0.0.1                    | item '010.0.0.1': '010.0.0.1' is not an IP address",
        "/8                           | item '/8': '' is not an IP address",
        "[192.0.2.1]                  | item '[192.0.2.1]': '[192.0.2.1]' is not an IP address",
        "<; fe80::1%eth0              | item 'fe80::1%eth0': 'fe80::1%eth0' is not an IP address",
        "<; 1::2::3                   | item '1::2::3': '1::2::3' is not an IP address",
        "'<a, 10.0.0.1'               | item '<a, 10.0.0.1': '<a, 10.0.0.1' is not an IP address",
        "mail.example.org/24          | item 'mail.example.org/24': 'mail.example.org' is not an IP address",
    })
    void rejectsUnsupportedItems(String list, String message) {
        assertThatThrownBy(() -> HostList.parse(list))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void undoubledIpv6InColonListGetsAHint() {
        // "2001:db8::/32" in a ':' list is the items "2001" and "db8:/32"
        assertThatThrownBy(() -> HostList.parse("10.0.0.0/8 : 2001:db8::/32"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("item '2001': '2001' is not an IP address" + IPV6_HINT);
        // "127.0.0.1 : ::1" gives the item ":1" (the doubled colon is a literal one)
        assertThatThrownBy(() -> HostList.parse("127.0.0.1 : ::1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("item ':1': ':1' is not an IP address" + IPV6_HINT);
    }

    @Test
    void noHintOutsideColonLists() {
        assertThatThrownBy(() -> HostList.parse("<; 2001"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("item '2001': '2001' is not an IP address");
        assertThatThrownBy(() -> HostList.of(List.of(":1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("item ':1': ':1' is not an IP address");
    }

    @Test
    void yamlListFormRejectsTheSameItems() {
        assertThatThrownBy(() -> HostList.of(List.of("10.0.0.0/8", "mail.example.org")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("item 'mail.example.org': host names are not supported (use addresses or CIDR)");
        assertThatThrownBy(() -> HostList.of(List.of("10.0.0.1 : 10.0.0.2")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("item '10.0.0.1 : 10.0.0.2': '10.0.0.1 : 10.0.0.2' is not an IP address");
    }

    @Test
    void yamlListFormRejectsNullItems() {
        assertThatThrownBy(() -> HostList.of(Arrays.asList("10.0.0.1", null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("host list contains a null item");
    }
}
