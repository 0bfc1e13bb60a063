package io.smtpsidecar.proxy;

import static io.smtpsidecar.proxy.Vectors.ascii;
import static io.smtpsidecar.proxy.Vectors.assertDecoded;
import static io.smtpsidecar.proxy.Vectors.assertLocal;
import static io.smtpsidecar.proxy.Vectors.decode;
import static io.smtpsidecar.proxy.Vectors.rest;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import org.junit.jupiter.api.Test;

/** Protocol notes c1 (v1 valid) and c2 (v1 invalid), one test per row. */
class V1VectorTest {

    @Test
    void v1_1_tcp4() {
        ProxyHeader header = assertDecoded(decode(Vectors.V1_1), "192.0.2.1", 50000, "198.51.100.7", 25, 44);
        assertThat(header.version()).isEqualTo(1);
        assertThat(header.tlvs()).isEmpty();
        assertThat(rest(decode(Vectors.V1_1))).isEmpty();
    }

    @Test
    void v1_2_maxTcp4() {
        assertDecoded(decode(Vectors.V1_2), "255.255.255.255", 65535, "255.255.255.255", 65535, 56);
    }

    @Test
    void v1_3_tcp6() {
        assertDecoded(decode(Vectors.V1_3), "2001:db8::1", 50000, "2001:db8::2", 25, 45);
    }

    @Test
    void v1_4_maxTcp6() {
        String all = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
        assertDecoded(decode(Vectors.V1_4), all, 65535, all, 65535, 104);
    }

    @Test
    void v1_5_unknownShortForm() {
        assertLocal(decode(Vectors.V1_5), 1, 15);
    }

    @Test
    void v1_6_unknownWorstCaseLength() {
        assertThat(Vectors.V1_6).hasSize(107);
        assertThat(Vectors.V1_6_FILLER).hasSize(107);
        assertLocal(decode(Vectors.V1_6), 1, 107);
        assertLocal(decode(Vectors.V1_6_FILLER), 1, 107);
        assertLocal(decode(ascii("PROXY UNKNOWN \r\n")), 1, 16);
    }

    @Test
    void v1_7_portZeroIsInRange() {
        assertDecoded(decode(Vectors.V1_7), "192.0.2.1", 0, "198.51.100.7", 25, 40);
    }

    @Test
    void v1_8_ipv4MappedNormalizedToIpv4() {
        ProxyHeader header = assertDecoded(decode(Vectors.V1_8), "192.0.2.1", 50000, "198.51.100.7", 25,
                Vectors.V1_8.length);
        assertThat(header.source().getAddress()).isInstanceOf(Inet4Address.class);
        assertThat(header.destination().getAddress()).isInstanceOf(Inet4Address.class);
    }

    @Test
    void v1_9_tlsBytesAfterHeaderReturnedUntouched() {
        DecodeResult result = decode(Vectors.V1_9);
        assertDecoded(result, "192.0.2.1", 50000, "198.51.100.7", 25, 44);
        assertThat(rest(result)).isEqualTo(Vectors.TLS_HELLO);
    }

    @Test
    void v1_10_twoSegments() {
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        assertThat(decoder.feed(ascii("PROXY TCP4 19"))).isInstanceOf(DecodeResult.NeedMore.class);
        DecodeResult result = decoder.feed(ascii("2.0.2.1 198.51.100.7 50000 25\r\n"));
        assertDecoded(result, "192.0.2.1", 50000, "198.51.100.7", 25, 44);
        assertThat(rest(result)).isEmpty();
    }

    @Test
    void x1_1_lfOnly() {
        assertRejected("PROXY TCP4 192.0.2.1 198.51.100.7 50000 25\n", "v1: LF without CR at offset 42", 43);
    }

    @Test
    void x1_2_crThenSilenceWaits() {
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        assertThat(decoder.feed(ascii("PROXY TCP4 192.0.2.1 198.51.100.7 50000 25\r")))
                .isInstanceOf(DecodeResult.NeedMore.class);
        assertThat(decoder.timeout().reason()).startsWith("timeout");
        // a CR followed by anything but LF fails at once
        assertRejected("PROXY TCP4 192.0.2.1 198.51.100.7 50000 25\rX", "v1: CR not followed by LF at offset 42", 44);
    }

    @Test
    void x1_3_twoSpaces() {
        assertRejected("PROXY TCP4  192.0.2.1 198.51.100.7 50000 25\r\n", "v1: empty source address field", 12);
    }

    @Test
    void x1_4_tab() {
        assertRejected("PROXY\tTCP4 192.0.2.1 198.51.100.7 50000 25\r\n", "v1: non-printable byte 0x09 at offset 5", 6);
    }

    @Test
    void x1_5_trailingSpace() {
        assertRejected("PROXY TCP4 192.0.2.1 198.51.100.7 50000 25 \r\n", "v1: space after the destination port", 43);
    }

    @Test
    void x1_6_missingOrExtraField() {
        assertRejected("PROXY TCP4 192.0.2.1 198.51.100.7 50000\r\n", "v1: TCP4 line has 5 fields, expected 6", 40);
        assertRejected("PROXY TCP4 192.0.2.1 198.51.100.7 50000 25 99\r\n", "v1: space after the destination port",
                43);
    }

    @Test
    void x1_7_leadingZeroOctet() {
        // decided at the space that ends the field, so that the reason quotes all of it
        assertRejected("PROXY TCP4 192.0.02.1 198.51.100.7 50000 25\r\n",
                "v1: invalid TCP4 source address: 192.0.02.1 (leading zero)", 22);
    }

    @Test
    void x1_8_octetRangeAndCount() {
        assertRejected("PROXY TCP4 192.0.2.256 198.51.100.7 50000 25\r\n",
                "v1: invalid TCP4 source address: 192.0.2.256 (octet over 255)", 23);
        assertRejected("PROXY TCP4 1.2.3 198.51.100.7 50000 25\r\n",
                "v1: invalid TCP4 source address: 1.2.3 (not four decimal octets)", 17);
        assertRejected("PROXY TCP4 1.2.3.4.5 198.51.100.7 50000 25\r\n",
                "v1: invalid TCP4 source address: 1.2.3.4.5 (not four decimal octets)", 21);
    }

    @Test
    void x1_9_portLeadingZeroSignRange() {
        assertRejected("PROXY TCP4 192.0.2.1 198.51.100.7 050000 25\r\n",
                "v1: invalid source port: 050000 (leading zero)", 41);
        assertRejected("PROXY TCP4 192.0.2.1 198.51.100.7 0502 25\r\n",
                "v1: invalid source port: 0502 (leading zero)", 39);
        assertRejected("PROXY TCP4 192.0.2.1 198.51.100.7 50000 +25\r\n",
                "v1: invalid destination port: +25 (not a decimal number)", 44);
        assertRejected("PROXY TCP4 192.0.2.1 198.51.100.7 -5 25\r\n",
                "v1: invalid source port: -5 (not a decimal number)", 37);
        assertRejected("PROXY TCP4 192.0.2.1 198.51.100.7 65536 25\r\n",
                "v1: invalid source port: 65536 (over 65535)", 40);
    }

    @Test
    void x1_10_familyMismatch() {
        assertRejected("PROXY TCP4 2001:db8::1 2001:db8::2 50000 25\r\n",
                "v1: invalid TCP4 source address: 2001:db8::1 (not an IPv4 address)", 23);
        assertRejected("PROXY TCP6 192.0.2.1 198.51.100.7 50000 25\r\n",
                "v1: invalid TCP6 source address: 192.0.2.1 (not an IPv6 address)", 21);
    }

    @Test
    void x1_11_zoneId() {
        assertRejected("PROXY TCP6 fe80::1%eth0 2001:db8::2 50000 25\r\n",
                "v1: invalid TCP6 source address: fe80::1%eth0 (zone id)", 24);
    }

    @Test
    void x1_12_case() {
        assertRejected("proxy TCP4 192.0.2.1 198.51.100.7 50000 25\r\n", "not a PROXY protocol header", 1);
        assertRejected("PROXY tcp4 192.0.2.1 198.51.100.7 50000 25\r\n", "v1: unknown protocol family: tcp4", 11);
    }

    @Test
    void x1_13_unknownFamilyToken() {
        assertRejected("PROXY UDP4 192.0.2.1 198.51.100.7 50000 25\r\n", "v1: unknown protocol family: UDP4", 11);
        assertRejected("PROXY TCP5 192.0.2.1 198.51.100.7 50000 25\r\n", "v1: unknown protocol family: TCP5", 11);
    }

    @Test
    void x1_14_noCrlfWithin107Bytes() {
        String line = "PROXY UNKNOWN " + "a".repeat(92) + "\r\n";
        assertThat(line).hasSize(108);
        // the 106th printable byte leaves no room for the CRLF within 107 bytes
        assertRejected(line, "v1: header line longer than 107 bytes", 106);
    }

    @Test
    void x1_15_nulInsideLine() {
        assertRejected("PROXY TCP4 192.0.2.1\u0000 198.51.100.7 50000 25\r\n",
                "v1: non-printable byte 0x00 at offset 20", 21);
    }

    @Test
    void x1_16_partialHeaderWaits() {
        for (String partial : new String[] {"PROXY", "PROX"}) {
            ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
            assertThat(decoder.feed(ascii(partial))).as(partial).isInstanceOf(DecodeResult.NeedMore.class);
            DecodeResult.Invalid invalid = decoder.timeout();
            assertThat(invalid.reason()).isEqualTo("timeout: no complete PROXY protocol header after "
                    + partial.length() + " bytes");
            assertThat(invalid.head()).isEqualTo(ascii(partial));
            assertThat(invalid.pending()).isEmpty();
        }
    }

    @Test
    void moreMalformedLines() {
        assertRejected("PROXZ", "v1: expected \"PROXY \" signature", 5);
        assertRejected("PROXY\r\n", "v1: line ends before the protocol family", 6);
        assertRejected("PROXY \r\n", "v1: empty protocol family", 7);
        assertRejected("PROXY TCP4\r\n", "v1: TCP4 line has 2 fields, expected 6", 11);
        assertRejected("PROXY UNKNOWNX\r\n", "v1: unknown protocol family: UNKNOWNX", 15);
        assertRejected("PROXY TCP4 192.0.2.1 198.51.100.7 50000 \r\n", "v1: empty destination port field", 41);
        assertRejected("PROXY TCP4 192.0.2.1 198.51.100.7 50000 25\n\r", "v1: LF without CR at offset 42", 43);
        assertRejected("PROXY TCP4 192.0.2.1 198.51.100.7 655350 25\r\n",
                "v1: invalid source port: 655350 (over 65535)", 41);
    }

    @Test
    void badFieldIsQuotedUpToWhateverEndsIt() {
        // a LF ends the field as a space would; the bad field is the first problem
        assertRejected("PROXY TCP4 192.0.02.1\n", "v1: invalid TCP4 source address: 192.0.02.1 (leading zero)", 22);
        // a field that never ends is quoted as far as the line can reach: 83 digits leave no room for the rest
        assertRejected("PROXY TCP4 " + "1".repeat(100), "v1: invalid TCP4 source address: " + "1".repeat(83)
                + " (not four decimal octets)", 94);
        assertRejected("PROXY " + "a".repeat(110), "v1: unknown protocol family: " + "a".repeat(100), 106);
    }

    @Test
    void tcp6LineThatCannotEndWithin107BytesFailsEarly() {
        // two 45-character dotted-tail addresses leave no room for two ports and the CRLF
        String address = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
        String line = "PROXY TCP6 " + address + " " + address + " 1 2\r\n";
        assertThat(line).hasSize(108);
        assertRejected(line, "v1: header line longer than 107 bytes", 11 + 45 + 1 + 45);
    }

    private static void assertRejected(String input, String reason, int decisionPoint) {
        Vectors.assertRejected(ascii(input), reason, decisionPoint);
    }
}
