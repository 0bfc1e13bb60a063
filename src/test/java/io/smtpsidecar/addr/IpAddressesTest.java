package io.smtpsidecar.addr;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressesTest {

    @ParameterizedTest
    @CsvSource({
        "192.0.2.1, 192.0.2.1",
        "0.0.0.0, 0.0.0.0",
        "255.255.255.255, 255.255.255.255",
        "2001:db8::1, 2001:db8::1",
        "2001:DB8:0:0:0:0:0:1, 2001:db8::1",
        "::, ::",
        "::1, ::1",
        "1::, 1::",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "::ffff:192.0.2.1, 192.0.2.1",
        "::ffff:c000:201, 192.0.2.1",
        "64:ff9b::192.0.2.33, 64:ff9b::c000:221",
        "2001:db8:1:2:3:4:5:0, 2001:db8:1:2:3:4:5:0",
    })
    void parsesAndFormatsCanonically(String input, String expected) {
        InetAddress parsed = IpAddresses.parse(input);
        assertThat(parsed).as(input).isNotNull();
        assertThat(IpAddresses.format(parsed)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "1.2.3", "1.2.3.4.5", "192.0.02.1", "256.0.0.1", "1..2.3", "1.2.3.4 ", " 1.2.3.4", "+1.2.3.4", "01.2.3.4",
        "1.2.3.-4", "1.2.3.4/8", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::", "1:::2", "12345::", "fe80::1%eth0", "g::1",
        "1:2:3:4:5:6:7::8", "::1.2.3", "1.2.3.4::", "::ffff:1.2.3.04", "1:2:3:4:5:6:7:", "[::1]", "example.org",
        "1:2:3:4:5:6:7:1.2.3.4",
    })
    void rejectsNonLiterals(String input) {
        assertThat(IpAddresses.parse(input)).as(input).isNull();
    }

    @org.junit.jupiter.api.Test
    void canonicalUnmapsIpv4MappedAddresses() throws Exception {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = (byte) 192;
        mapped[15] = 1;
        // Inet6Address.getByAddress keeps the v6 form, as a dual-stack socket may report it
        InetAddress v6 = Inet6Address.getByAddress(null, mapped, null);
        assertThat(v6).isInstanceOf(Inet6Address.class);
        InetAddress canonical = IpAddresses.canonical(v6);
        assertThat(canonical).isInstanceOf(Inet4Address.class);
        assertThat(IpAddresses.format(canonical)).isEqualTo("192.0.0.1");
        InetAddress plain = IpAddresses.parse("2001:db8::1");
        assertThat(IpAddresses.canonical(plain)).isSameAs(plain);
    }
}
