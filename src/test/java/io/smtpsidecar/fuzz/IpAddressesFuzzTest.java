package io.smtpsidecar.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.smtpsidecar.addr.IpAddresses;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Strict IP literal parser against the JDK.
 *
 * <ul>
 *   <li>Any text: a literal {@code IpAddresses.parse} accepts is made only of literal characters, is accepted by
 *       {@code InetAddress.getByName} with the same bytes, formats to a canonical text that parses back to the same
 *       address, and IPv4 text is exactly the canonical dotted quad.</li>
 *   <li>Any address: every RFC 4291 text form that the fuzzer builds from its bytes (zero compression anywhere
 *       legal, upper or lower case, leading zeros up to four digits, dotted IPv4 tail) parses to those bytes, and so
 *       do the JDK's and our own formatted forms.</li>
 * </ul>
 */
class IpAddressesFuzzTest {

    @FuzzTest
    void parse(FuzzedDataProvider data) {
        if (data.consumeBoolean()) {
            anyText(data.consumeRemainingAsString());
        } else {
            anyAddress(data);
        }
    }

    private static void anyText(String text) {
        InetAddress ours = IpAddresses.parse(text);
        if (ours == null) {
            return;
        }
        // guard before asking the JDK: only literal characters, so getByName cannot do a DNS lookup
        assertThat(text).matches("[0-9A-Fa-f:.]+");
        InetAddress jdk = jdk(text);
        assertThat(ours.getAddress()).as(text).isEqualTo(jdk.getAddress());
        assertThat(ours.getClass()).isEqualTo(jdk.getClass());
        String canonical = IpAddresses.format(ours);
        assertThat(IpAddresses.parse(canonical)).isEqualTo(ours);
        assertThat(IpAddresses.format(IpAddresses.parse(canonical))).isEqualTo(canonical);
        if (text.indexOf(':') < 0) {
            assertThat(ours).isInstanceOf(Inet4Address.class);
            assertThat(text).isEqualTo(canonical);
        }
    }

    private static void anyAddress(FuzzedDataProvider data) {
        boolean v6 = data.consumeBoolean();
        byte[] bytes = data.consumeBytes(v6 ? 16 : 4);
        if (bytes.length != (v6 ? 16 : 4)) {
            return;
        }
        InetAddress address = IpAddresses.toAddress(bytes);
        // the JDK's own text (full IPv6 form, or the dotted quad of a mapped address)
        assertParses(address.getHostAddress(), address);
        assertParses(IpAddresses.format(address), address);
        if (!v6) {
            return;
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xFF) << 8) | (bytes[2 * i + 1] & 0xFF);
        }
        boolean dottedTail = data.consumeBoolean();
        int words = dottedTail ? 6 : 8;
        // a "::" may replace any run of one or more zero groups; the fuzzer picks which (or none)
        int compressFrom = data.consumeInt(-1, words - 1);
        int compressTo = compressFrom;
        if (compressFrom >= 0 && groups[compressFrom] == 0) {
            int max = compressFrom;
            while (max + 1 < words && groups[max + 1] == 0) {
                max++;
            }
            compressTo = data.consumeInt(compressFrom, max) + 1;
        } else {
            compressFrom = -1;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words; i++) {
            if (i == compressFrom) {
                sb.append("::");
                i = compressTo - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            String hex = Integer.toHexString(groups[i]);
            int zeros = data.consumeInt(0, 4 - hex.length());
            sb.append("0".repeat(zeros)).append(data.consumeBoolean() ? hex.toUpperCase(Locale.ROOT) : hex);
        }
        if (dottedTail) {
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(bytes[12] & 0xFF).append('.').append(bytes[13] & 0xFF).append('.')
                    .append(bytes[14] & 0xFF).append('.').append(bytes[15] & 0xFF);
        }
        String text = sb.toString();
        assertParses(text, address);
        assertThat(jdk(text).getAddress()).as("JDK on %s", text).isEqualTo(address.getAddress());
    }

    private static void assertParses(String text, InetAddress expected) {
        InetAddress parsed = IpAddresses.parse(text);
        assertThat(parsed).as("parse(%s)", text).isNotNull();
        assertThat(parsed.getAddress()).as("parse(%s)", text).isEqualTo(expected.getAddress());
        assertThat(parsed instanceof Inet6Address).isEqualTo(expected instanceof Inet6Address);
    }

    private static InetAddress jdk(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new AssertionError("'" + text + "' accepted here, refused by the JDK: " + e.getMessage());
        }
    }
}
