package io.smtpsidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.support.ProxyHeaders;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

/** The conformance vectors of protocol-notes.md section (c), and helpers to feed and inspect them. */
final class Vectors {
    static final String SIG = "0D0A0D0A000D0A515549540A";
    /** V2-1's addresses and ports: 192.0.2.1:50000 to 198.51.100.7:25. */
    static final String TCP4_BLOCK = "C0000201 C6336407 C350 0019";

    static final byte[] V1_1 = ascii("PROXY TCP4 192.0.2.1 198.51.100.7 50000 25\r\n");
    static final byte[] V1_2 = ascii("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n");
    static final byte[] V1_3 = ascii("PROXY TCP6 2001:db8::1 2001:db8::2 50000 25\r\n");
    static final byte[] V1_4 = ascii("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
            + "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n");
    static final byte[] V1_5 = ascii("PROXY UNKNOWN\r\n");
    static final byte[] V1_6 = ascii("PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
            + "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n");
    static final byte[] V1_6_FILLER = ascii("PROXY UNKNOWN " + "a".repeat(91) + "\r\n");
    static final byte[] V1_7 = ascii("PROXY TCP4 192.0.2.1 198.51.100.7 0 25\r\n");
    static final byte[] V1_8 = ascii("PROXY TCP6 ::ffff:192.0.2.1 ::ffff:198.51.100.7 50000 25\r\n");
    /** The start of a TLS ClientHello record, as sent by a TLS-on-connect client. */
    static final byte[] TLS_HELLO = hex("16030100A5 0100 00A1 0303");
    static final byte[] V1_9 = concat(V1_1, TLS_HELLO);

    static final byte[] V2_1 = hex(SIG + "21 11 000C C0000201 C6336407 C350 0019");
    static final byte[] V2_2 = hex(SIG + "21 21 0024 20010DB8000000000000000000000001 "
            + "20010DB8000000000000000000000002 C350 0019");
    static final byte[] V2_3 = hex(SIG + "20 00 0000");
    static final byte[] V2_4 = hex(SIG + "20 11 000C C0000201C6336407C3500019");
    static final byte[] V2_5 = hex(SIG + "21 00 0000");
    static final byte[] V2_6 = hex(SIG + "21 11 0033 C0000201C6336407C3500019 02000E6D782E6578616D706C652E6F7267 "
            + "050006616263313233 040003000000 03000442C58166");
    static final byte[] V2_7 = hex(SIG + "21 11 001E C0000201C6336407C3500019 20000F 01 00000000 "
            + "210007544C5376312E33");
    static final byte[] V2_8 = hex(SIG + "21 11 000c 7f000002 7f2a2a2a c295 0401");
    static final byte[] V2_9 = v2Tcp4WithTlv(0xE0, 300);

    private Vectors() {
    }

    /** Every valid vector, named, as one piece. */
    static List<Object[]> valid() {
        return List.of(
                new Object[] {"V1-1", V1_1}, new Object[] {"V1-2", V1_2}, new Object[] {"V1-3", V1_3},
                new Object[] {"V1-4", V1_4}, new Object[] {"V1-5", V1_5}, new Object[] {"V1-6", V1_6},
                new Object[] {"V1-6 filler", V1_6_FILLER}, new Object[] {"V1-7", V1_7}, new Object[] {"V1-8", V1_8},
                new Object[] {"V1-9", V1_9}, new Object[] {"V2-1", V2_1}, new Object[] {"V2-2", V2_2},
                new Object[] {"V2-3", V2_3}, new Object[] {"V2-4", V2_4}, new Object[] {"V2-5", V2_5},
                new Object[] {"V2-6", V2_6}, new Object[] {"V2-7", V2_7}, new Object[] {"V2-8", V2_8},
                new Object[] {"V2-9", V2_9});
    }

    /** V2-1 followed by one TLV of {@code valueLength} zero bytes; the header is 28 + 3 + valueLength bytes. */
    static byte[] v2Tcp4WithTlv(int type, int valueLength) {
        return v2WithTlvs(concat(new byte[] {(byte) type, (byte) (valueLength >> 8), (byte) valueLength},
                new byte[valueLength]));
    }

    /** V2-1's addresses followed by the given TLV bytes, with the length field set to match. */
    static byte[] v2WithTlvs(String tlvHex) {
        return v2WithTlvs(hex(tlvHex));
    }

    private static byte[] v2WithTlvs(byte[] tlvs) {
        return ProxyHeaders.v2(ProxyHeaders.V2_PROXY, ProxyHeaders.TCP4, concat(hex(TCP4_BLOCK), tlvs));
    }

    static byte[] hex(String spaced) {
        return HexFormat.of().parseHex(spaced.replace(" ", ""));
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    static DecodeResult decode(byte[] bytes) {
        return new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER).feed(bytes);
    }

    static InetSocketAddress endpoint(String address, int port) {
        return new InetSocketAddress(IpAddresses.parse(address), port);
    }

    static ProxyHeader assertDecoded(DecodeResult result, String source, int sourcePort, String destination,
                                     int destinationPort, int length) {
        assertThat(result).isInstanceOf(DecodeResult.Decoded.class);
        ProxyHeader header = ((DecodeResult.Decoded) result).header();
        assertThat(header.local()).isFalse();
        assertThat(header.source()).isEqualTo(endpoint(source, sourcePort));
        assertThat(header.destination()).isEqualTo(endpoint(destination, destinationPort));
        assertThat(header.length()).isEqualTo(length);
        return header;
    }

    static ProxyHeader assertLocal(DecodeResult result, int version, int length) {
        assertThat(result).isInstanceOf(DecodeResult.Decoded.class);
        ProxyHeader header = ((DecodeResult.Decoded) result).header();
        assertThat(header.version()).isEqualTo(version);
        assertThat(header.local()).isTrue();
        assertThat(header.source()).isNull();
        assertThat(header.destination()).isNull();
        assertThat(header.tlvs()).isEmpty();
        assertThat(header.length()).isEqualTo(length);
        return header;
    }

    static DecodeResult.Invalid assertInvalid(DecodeResult result, String reason) {
        assertThat(result).isInstanceOf(DecodeResult.Invalid.class);
        DecodeResult.Invalid invalid = (DecodeResult.Invalid) result;
        assertThat(invalid.reason()).isEqualTo(reason);
        return invalid;
    }

    /**
     * Checks the reason in one piece, and the same reason and the decision point (bytes fed when it came) when fed
     * one byte at a time.
     */
    static void assertRejected(byte[] bytes, String reason, int decisionPoint) {
        assertInvalid(decode(bytes), reason);
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        DecodeResult last = new DecodeResult.NeedMore();
        int fed = 0;
        while (last instanceof DecodeResult.NeedMore && fed < bytes.length) {
            last = decoder.feed(bytes, fed++, 1);
        }
        assertInvalid(last, reason);
        assertThat(fed).as("decision point").isEqualTo(decisionPoint);
    }

    static byte[] rest(DecodeResult result) {
        return ((DecodeResult.Decoded) result).rest();
    }
}
