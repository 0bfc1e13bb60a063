package io.smtpsidecar.proxy;

import static io.smtpsidecar.proxy.Vectors.SIG;
import static io.smtpsidecar.proxy.Vectors.TCP4_BLOCK;
import static io.smtpsidecar.proxy.Vectors.ascii;
import static io.smtpsidecar.proxy.Vectors.assertDecoded;
import static io.smtpsidecar.proxy.Vectors.assertInvalid;
import static io.smtpsidecar.proxy.Vectors.assertLocal;
import static io.smtpsidecar.proxy.Vectors.concat;
import static io.smtpsidecar.proxy.Vectors.assertRejected;
import static io.smtpsidecar.proxy.Vectors.decode;
import static io.smtpsidecar.proxy.Vectors.hex;
import static io.smtpsidecar.proxy.Vectors.rest;
import static io.smtpsidecar.proxy.Vectors.v2WithTlvs;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** Protocol notes c3 (v2 valid) and c4 (v2 invalid), one test per row, plus the TLV bounds rules. */
class V2VectorTest {
    @Test
    void v2_1_tcp4() {
        ProxyHeader header = assertDecoded(decode(Vectors.V2_1), "192.0.2.1", 50000, "198.51.100.7", 25, 28);
        assertThat(header.version()).isEqualTo(2);
        assertThat(header.tlvs()).isEmpty();
        assertThat(rest(decode(Vectors.V2_1))).isEmpty();
    }

    @Test
    void v2_2_tcp6() {
        assertDecoded(decode(Vectors.V2_2), "2001:db8::1", 50000, "2001:db8::2", 25, 52);
    }

    @Test
    void v2_3_local() {
        assertLocal(decode(Vectors.V2_3), 2, 16);
    }

    @Test
    void v2_4_localSkipsAddressBlock() {
        assertLocal(decode(Vectors.V2_4), 2, 28);
    }

    @Test
    void v2_5_proxyUnspecIsLocal() {
        assertLocal(decode(Vectors.V2_5), 2, 16);
        // the announced bytes are skipped unread, TLV-looking or not
        assertLocal(decode(hex(SIG + "21 00 0002 FFFF")), 2, 18);
    }

    @Test
    void v2_6_tlvsAndCrc() {
        assertThat(Vectors.V2_6).hasSize(67);
        byte[] zeroed = Arrays.copyOf(Vectors.V2_6, 67);
        Arrays.fill(zeroed, 63, 67, (byte) 0);
        CRC32C crc = new CRC32C();
        crc.update(zeroed);
        assertThat(crc.getValue()).isEqualTo(0x42C58166L);
        CRC32C check = new CRC32C();
        check.update(ascii("123456789"));
        assertThat(check.getValue()).isEqualTo(0xE3069283L);

        ProxyHeader header = assertDecoded(decode(Vectors.V2_6), "192.0.2.1", 50000, "198.51.100.7", 25, 67);
        assertThat(header.tlvs()).containsExactly(
                new Tlv(0x02, ascii("mx.example.org")),
                new Tlv(0x05, ascii("abc123")),
                new Tlv(0x04, new byte[3]),
                new Tlv(Tlv.TYPE_CRC32C, hex("42C58166")));
    }

    @Test
    void v2_7_sslTlv() {
        ProxyHeader header = assertDecoded(decode(Vectors.V2_7), "192.0.2.1", 50000, "198.51.100.7", 25, 46);
        assertThat(header.tlvs()).containsExactly(new Tlv(Tlv.TYPE_SSL, hex("01 00000000 210007544C5376312E33")));
    }

    @Test
    void v2_8_eximTest4030() {
        assertDecoded(decode(Vectors.V2_8), "127.0.0.2", 49813, "127.42.42.42", 1025, 28);
    }

    @Test
    void v2_9_largeTlvBothSidesOfTheCap() {
        assertThat(Vectors.V2_9).hasSize(331);
        ProxyHeader header = assertDecoded(decode(Vectors.V2_9), "192.0.2.1", 50000, "198.51.100.7", 25, 331);
        assertThat(header.tlvs()).containsExactly(new Tlv(0xE0, new byte[300]));

        byte[] atCap = Vectors.v2Tcp4WithTlv(0xE0, 536 - 31);
        byte[] overCap = Vectors.v2Tcp4WithTlv(0xE0, 537 - 31);
        assertThat(atCap).hasSize(536);
        assertThat(overCap).hasSize(537);
        assertDecoded(new ProxyHeaderDecoder(536).feed(atCap), "192.0.2.1", 50000, "198.51.100.7", 25, 536);
        assertDecoded(new ProxyHeaderDecoder(536).feed(Vectors.V2_9), "192.0.2.1", 50000, "198.51.100.7", 25, 331);
        ProxyHeaderDecoder capped = new ProxyHeaderDecoder(536);
        // known to fail at byte 16, answered when the header's last byte is in
        assertThat(capped.feed(overCap, 0, 536)).isInstanceOf(DecodeResult.NeedMore.class);
        assertInvalid(capped.feed(overCap, 536, 1), "v2: header length 537 exceeds the limit of 536 bytes");
    }

    @Test
    void v2_10_splitAfterByte10() {
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        assertThat(decoder.feed(Vectors.V2_1, 0, 10)).isInstanceOf(DecodeResult.NeedMore.class);
        assertDecoded(decoder.feed(Vectors.V2_1, 10, 18), "192.0.2.1", 50000, "198.51.100.7", 25, 28);
    }

    @Test
    void x2_1_version1() {
        assertRejected(withByte(Vectors.V2_1, 12, 0x11), "v2: unsupported version 1", 13);
    }

    @Test
    void x2_2_version3() {
        assertRejected(withByte(Vectors.V2_1, 12, 0x31), "v2: unsupported version 3", 13);
    }

    @Test
    void x2_3_command2() {
        assertRejected(hex(SIG + "22 11 000C C0000201C6336407C3500019"), "v2: unsupported command 2", 13);
    }

    @Test
    void x2_4_family4() {
        assertRejected(hex(SIG + "21 41 000C C0000201C6336407C3500019"), "v2: invalid family byte 0x41", 14);
    }

    @Test
    void x2_5_undefinedTransportOrUnspecCombination() {
        assertRejected(hex(SIG + "21 13 000C C0000201C6336407C3500019"), "v2: invalid family byte 0x13", 14);
        assertRejected(hex(SIG + "21 03 0000"), "v2: invalid family byte 0x03", 14);
        // AF_UNSPEC with STREAM and AF_INET with UNSPEC transport are not defined combinations either
        assertRejected(hex(SIG + "21 01 0000"), "v2: invalid family byte 0x01", 14);
        assertRejected(hex(SIG + "21 10 000C C0000201C6336407C3500019"), "v2: invalid family byte 0x10", 14);
    }

    @Test
    void x2_6_lengthShorterThanIpv4Block() {
        // decided at byte 16, answered when the 16 + len bytes are in
        assertRejected(hex(SIG + "21 11 0008 C0000201 C6336407"),
                "v2: length 8 is shorter than the TCP4 address block (12 bytes)", 24);
        assertRejected(concat(hex(SIG + "21 21 0023"), new byte[35]),
                "v2: length 35 is shorter than the TCP6 address block (36 bytes)", 51);
    }

    @Test
    void x2_7_tlvOverrunsHeader() {
        assertRejected(hex(SIG + "21 11 0011 C0000201C6336407C3500019 0200106162"),
                "v2: TLV 0x02 length 16 overruns its container by 14 bytes", 33);
    }

    @Test
    void x2_8_crcMismatch() {
        byte[] bad = withByte(Vectors.V2_6, 66, 0x67);
        assertRejected(bad, "v2: CRC32C mismatch", 67);
    }

    @Test
    void x2_9_notASignature() {
        byte[] bad = withByte(Vectors.V2_1, 4, 0x01);
        assertThat(HexFormat.of().formatHex(bad, 0, 7)).isEqualTo("0d0a0d0a010d0a");
        assertRejected(bad, "v2: signature mismatch at offset 4", 5);
    }

    @Test
    void x2_10_partialHeaderThenSilence() {
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        assertThat(decoder.feed(Vectors.V2_1, 0, 20)).isInstanceOf(DecodeResult.NeedMore.class);
        DecodeResult.Invalid invalid = decoder.timeout();
        assertThat(invalid.reason()).isEqualTo("timeout: no complete PROXY protocol header after 20 bytes");
        assertThat(invalid.pending()).isEmpty();
    }

    @Test
    void x2_11_udp4Refused() {
        assertRejected(hex(SIG + "21 12 000C C0000201C6336407C3500019"),
                "v2: unsupported family 0x12 (UDP over IPv4) on a TCP service", 14);
        assertRejected(hex(SIG + "21 22 0024" + "00".repeat(36)),
                "v2: unsupported family 0x22 (UDP over IPv6) on a TCP service", 14);
    }

    @Test
    void x2_12_unixRefused() {
        assertRejected(concat(hex(SIG + "21 31 00D8"), new byte[216]),
                "v2: unsupported family 0x31 (UNIX stream) on a TCP service", 14);
        assertRejected(concat(hex(SIG + "21 32 00D8"), new byte[216]),
                "v2: unsupported family 0x32 (UNIX datagram) on a TCP service", 14);
    }

    @Test
    void x2_13_hugeLengthIsSwallowedNotBuffered() {
        byte[] bytes = concat(hex(SIG + "21 11 FFFF" + TCP4_BLOCK), new byte[65535 - 12]);
        assertRejected(bytes, "v2: header length 65551 exceeds the limit of 4096 bytes", 65551);
        // with the largest cap the same bytes are a valid header
        ProxyHeaderDecoder uncapped = new ProxyHeaderDecoder(ProxyHeaderDecoder.MAX_MAX_HEADER);
        assertThat(uncapped.feed(bytes)).isInstanceOf(DecodeResult.Decoded.class);
    }

    @Test
    void localIgnoresFamilyAndTlvs() {
        // spec: LOCAL discards the protocol block including the family; nothing in it is looked at
        assertLocal(decode(hex(SIG + "20 FF 0003 030001")), 2, 19);
    }

    @Test
    void tlvWalkBounds() {
        assertRejected(v2WithTlvs("01"), "v2: 1 trailing byte(s) after the last TLV", 29);
        assertRejected(v2WithTlvs("0100"), "v2: 2 trailing byte(s) after the last TLV", 30);
        ProxyHeader header = assertDecoded(decode(v2WithTlvs("E00000")), "192.0.2.1", 50000, "198.51.100.7", 25,
                31);
        assertThat(header.tlvs()).containsExactly(new Tlv(0xE0, new byte[0]));
    }

    @Test
    void crcTlvRules() {
        assertRejected(v2WithTlvs("030003 000000"), "v2: CRC32C TLV length 3, expected 4", 34);
        assertRejected(v2WithTlvs("030004 00000000 030004 00000000"), "v2: more than one CRC32C TLV", 42);
        byte[] good = withCrc(v2WithTlvs("050001 41 030004 00000000"), 35);
        assertThat(decode(good)).isInstanceOf(DecodeResult.Decoded.class);
        // LOCAL carries no TLV parsing, so not even a broken CRC is looked at
        assertLocal(decode(hex(SIG + "20 00 0007 030004 FFFFFFFF")), 2, 23);
    }

    @Test
    void sslTlvRules() {
        assertRejected(v2WithTlvs("200004 01000000"), "v2: SSL TLV length 4, expected at least 5", 35);
        assertRejected(v2WithTlvs("200007 0100000000 2100"),
                "v2: 2 trailing byte(s) after the last SSL sub-TLV", 38);
        assertRejected(v2WithTlvs("20000B 0100000000 210009 544C53"),
                "v2: SSL sub-TLV 0x21 length 9 overruns its container by 6 bytes", 42);
        ProxyHeader header = assertDecoded(decode(v2WithTlvs("200005 0700000000 E00000")), "192.0.2.1", 50000,
                "198.51.100.7", 25, 39);
        assertThat(header.tlvs()).extracting(Tlv::type).containsExactly(Tlv.TYPE_SSL, 0xE0);
    }

    @Test
    void bytesAfterHeaderAreNotParsed() {
        byte[] second = ascii("PROXY TCP4 203.0.113.9 198.51.100.7 1 25\r\n");
        DecodeResult result = decode(concat(Vectors.V2_1, second));
        assertDecoded(result, "192.0.2.1", 50000, "198.51.100.7", 25, 28);
        assertThat(rest(result)).isEqualTo(second);
    }

    /** Fills the CRC32C value at {@code valueAt} with the correct checksum. */
    static byte[] withCrc(byte[] header, int valueAt) {
        CRC32C crc = new CRC32C();
        crc.update(header);
        long value = crc.getValue();
        byte[] out = header.clone();
        for (int i = 0; i < 4; i++) {
            out[valueAt + i] = (byte) (value >> (24 - 8 * i));
        }
        return out;
    }

    private static byte[] withByte(byte[] bytes, int index, int value) {
        byte[] copy = bytes.clone();
        copy[index] = (byte) value;
        return copy;
    }
}
