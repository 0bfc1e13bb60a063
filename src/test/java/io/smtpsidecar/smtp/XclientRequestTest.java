package io.smtpsidecar.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smtpsidecar.addr.IpAddresses;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class XclientRequestTest {
    /** What Postfix advertises (smtpd.c). */
    private static final Set<String> POSTFIX = Set.of(
            "NAME", "ADDR", "PROTO", "HELO", "REVERSE_NAME", "PORT", "LOGIN", "DESTADDR", "DESTPORT");
    /** What Exim 4.97+ advertises (xclient.c). */
    private static final Set<String> EXIM = Set.of("ADDR", "NAME", "PORT", "LOGIN", "DESTADDR", "DESTPORT");

    private static InetAddress ip(String literal) {
        return IpAddresses.parse(literal);
    }

    private static XclientRequest request(String address, String name) {
        return new XclientRequest(ip(address), 50000, name, ip("198.51.100.7"), 25);
    }

    @Test
    void singleLineIpv4() {
        assertThat(request("192.0.2.1", "[UNAVAILABLE]").commands(POSTFIX)).containsExactly(
                "XCLIENT ADDR=192.0.2.1 PORT=50000 NAME=[UNAVAILABLE] DESTADDR=198.51.100.7 DESTPORT=25");
    }

    @Test
    void singleLineIpv6() {
        XclientRequest request = new XclientRequest(ip("2001:db8:0:0:0:0:0:1"), 40000, "client.example.test",
                ip("2001:db8::25"), 587);
        assertThat(request.commands(POSTFIX)).containsExactly("XCLIENT ADDR=IPV6:2001:db8::1 PORT=40000"
                + " NAME=client.example.test DESTADDR=IPV6:2001:db8::25 DESTPORT=587");
    }

    @Test
    void ipv4MappedAddressesAreSentAsIpv4() throws UnknownHostException {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 192, 0, 2, 1};
        InetAddress v6 = Inet6Address.getByAddress(null, mapped, null);
        XclientRequest request = new XclientRequest(v6, 1025, "[TEMPUNAVAIL]", null, 0);
        assertThat(request.address()).isEqualTo(ip("192.0.2.1"));
        assertThat(request.commands(POSTFIX)).containsExactly("XCLIENT ADDR=192.0.2.1 PORT=1025 NAME=[TEMPUNAVAIL]");
    }

    @Test
    void withoutDestinationNoDestAttributes() {
        XclientRequest request = new XclientRequest(ip("192.0.2.1"), 50000, "[UNAVAILABLE]", null, 0);
        assertThat(request.commands(POSTFIX)).containsExactly("XCLIENT ADDR=192.0.2.1 PORT=50000 NAME=[UNAVAILABLE]");
    }

    @Test
    void sendsOnlyAdvertisedAttributes() {
        XclientRequest request = request("192.0.2.1", "[UNAVAILABLE]");
        assertThat(request.commands(Set.of("ADDR", "NAME"))).containsExactly("XCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]");
        assertThat(request.commands(Set.of("ADDR", "NAME", "DESTPORT")))
                .containsExactly("XCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE] DESTPORT=25");
        assertThat(request.commands(EXIM)).containsExactly(
                "XCLIENT ADDR=192.0.2.1 PORT=50000 NAME=[UNAVAILABLE] DESTADDR=198.51.100.7 DESTPORT=25");
    }

    @Test
    void advertisedNamesAreCaseInsensitive() {
        assertThat(request("192.0.2.1", "[UNAVAILABLE]").commands(Set.of("addr", "Name", "port")))
                .containsExactly("XCLIENT ADDR=192.0.2.1 PORT=50000 NAME=[UNAVAILABLE]");
    }

    @Test
    void refusesWhenAddrOrNameIsNotAdvertised() {
        XclientRequest request = request("192.0.2.1", "[UNAVAILABLE]");
        assertThatThrownBy(() -> request.commands(Set.of("NAME", "PORT")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("backend does not advertise XCLIENT ADDR (advertised: ");
        assertThatThrownBy(() -> request.commands(Set.of("ADDR")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("backend does not advertise XCLIENT NAME (advertised: ADDR)");
        assertThatThrownBy(() -> request.commands(Set.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("backend does not advertise XCLIENT ADDR (advertised: )");
    }

    @Test
    void longestPossibleRequestStillFitsOneCommand() {
        // 255-octet NAME, full-length IPv6 addresses and five-digit ports: 398 octets, so 512 never forces a split
        String max6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe";
        XclientRequest request = new XclientRequest(ip(max6), 65535, "n".repeat(255), ip(max6), 65535);
        List<String> commands = request.commands(POSTFIX);
        assertThat(commands).hasSize(1);
        assertThat(commands.get(0)).hasSize(398).startsWith("XCLIENT ADDR=IPV6:" + max6 + " PORT=65535 NAME=nnn");
        assertThat((commands.get(0) + "\r\n").getBytes(StandardCharsets.US_ASCII)).hasSizeLessThanOrEqualTo(512);
    }

    @Test
    void splitsWhenOneCommandWouldBeTooLongWithAddrAndNameLast() {
        XclientRequest request = request("192.0.2.1", "h".repeat(60) + ".example");
        // one line would be 143 octets with its CRLF; ADDR and NAME alone take 98 of the 100 allowed
        List<String> commands = request.commands(POSTFIX, 100);
        assertThat(commands).containsExactly(
                "XCLIENT PORT=50000 DESTADDR=198.51.100.7 DESTPORT=25",
                "XCLIENT ADDR=192.0.2.1 NAME=" + "h".repeat(60) + ".example");
        commands.forEach(line -> assertThat(line.length() + 2).isLessThanOrEqualTo(100));
    }

    @Test
    void splitPutsWhatStillFitsIntoTheLastCommand() {
        XclientRequest request = request("192.0.2.1", "h".repeat(50));
        List<String> commands = request.commands(POSTFIX, 100);
        assertThat(commands).containsExactly(
                "XCLIENT DESTADDR=198.51.100.7 DESTPORT=25",
                "XCLIENT ADDR=192.0.2.1 PORT=50000 NAME=" + "h".repeat(50));
    }

    @Test
    void splitUsesSeveralEarlierCommandsWhenNeeded() {
        XclientRequest request = new XclientRequest(ip("2001:db8::1"), 50000, "h".repeat(20),
                ip("2001:db8:1111:2222:3333:4444:5555:6666"), 25);
        List<String> commands = request.commands(POSTFIX, 64);
        assertThat(commands).containsExactly(
                "XCLIENT PORT=50000",
                "XCLIENT DESTADDR=IPV6:2001:db8:1111:2222:3333:4444:5555:6666",
                "XCLIENT DESTPORT=25",
                "XCLIENT ADDR=IPV6:2001:db8::1 NAME=" + "h".repeat(20));
        commands.forEach(line -> assertThat(line.length() + 2).isLessThanOrEqualTo(64));
    }

    @Test
    void splitFailsWhenAddrAndNameCannotShareACommand() {
        assertThatThrownBy(() -> request("192.0.2.1", "h".repeat(100)).commands(POSTFIX, 100))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ADDR and NAME do not fit in one XCLIENT command of 100 octets");
    }

    @Test
    void splitFailsWhenAnotherAttributeCannotFitAlone() {
        XclientRequest request = new XclientRequest(ip("192.0.2.1"), 50000, "h",
                ip("2001:db8:1111:2222:3333:4444:5555:6666"), 25);
        assertThatThrownBy(() -> request.commands(POSTFIX, 40))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("XCLIENT DESTADDR does not fit in one command of 40 octets");
    }

    @Test
    void rejectsValuesOver255OctetsOnceEncoded() {
        assertThatThrownBy(() -> request("192.0.2.1", "n".repeat(256)).commands(POSTFIX))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("XCLIENT NAME value is 256 octets after xtext encoding, more than 255");
        // 100 characters, 200 UTF-8 bytes, 600 octets of xtext
        assertThatThrownBy(() -> request("192.0.2.1", "\u00e9".repeat(100)).commands(POSTFIX))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("XCLIENT NAME value is 600 octets after xtext encoding, more than 255");
    }

    @Test
    void hostileNameStaysInsideItsValue() {
        String hostile = "evil.example\r\nMAIL FROM:<x@example> NAME=spoofed ADDR=127.0.0.1";
        List<String> commands = request("192.0.2.1", hostile).commands(POSTFIX);
        assertThat(commands).containsExactly("XCLIENT ADDR=192.0.2.1 PORT=50000"
                + " NAME=evil.example+0D+0AMAIL+20FROM:<x@example>+20NAME+3Dspoofed+20ADDR+3D127.0.0.1"
                + " DESTADDR=198.51.100.7 DESTPORT=25");
        for (String line : commands) {
            assertThat(line).doesNotContain("\r", "\n");
            String[] words = line.split(" ");
            assertThat(words[0]).isEqualTo("XCLIENT");
            for (int i = 1; i < words.length; i++) {
                assertThat(words[i]).as("one attribute per word").containsOnlyOnce("=");
            }
            assertThat(words).hasSize(6);
        }
        assertThat(Xtext.decode(commands.get(0).split(" ")[3].substring("NAME=".length()))).isEqualTo(hostile);
    }

    @Test
    void validatesTheRequest() {
        assertThatThrownBy(() -> new XclientRequest(null, 1, "x", null, 0))
                .isInstanceOf(NullPointerException.class).hasMessage("address");
        assertThatThrownBy(() -> new XclientRequest(ip("192.0.2.1"), 1, null, null, 0))
                .isInstanceOf(NullPointerException.class).hasMessage("name");
        assertThatThrownBy(() -> new XclientRequest(ip("192.0.2.1"), 1, "", null, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("name must not be empty");
        assertThatThrownBy(() -> new XclientRequest(ip("192.0.2.1"), 65536, "x", null, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("port out of range 0..65535: 65536");
        assertThatThrownBy(() -> new XclientRequest(ip("192.0.2.1"), 1, "x", ip("192.0.2.2"), -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("destinationPort out of range 0..65535: -1");
    }
}
