package io.smtpsidecar.proxy;

import static io.smtpsidecar.proxy.Vectors.SIG;
import static io.smtpsidecar.proxy.Vectors.ascii;
import static io.smtpsidecar.proxy.Vectors.assertInvalid;
import static io.smtpsidecar.proxy.Vectors.concat;
import static io.smtpsidecar.proxy.Vectors.decode;
import static io.smtpsidecar.proxy.Vectors.hex;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** What a failed header swallows, what stays pending, and how much is ever buffered. */
class SwallowAndTimeoutTest {

    @Test
    void earlyTalkerKeepsTheSecondLinePending() {
        byte[] input = ascii("EHLO x\r\nMAIL FROM:<a>\r\n");
        DecodeResult.Invalid invalid = assertInvalid(decode(input), "not a PROXY protocol header");
        assertThat(invalid.pending()).isEqualTo(ascii("MAIL FROM:<a>\r\n"));
        assertThat(invalid.head()).isEqualTo(input);
    }

    @Test
    void failedV1LineSwallowsThroughItsLf() {
        byte[] input = ascii("PROXY TCP4 192.0.2.256 198.51.100.7 50000 25\r\nEHLO x\r\n");
        DecodeResult.Invalid invalid = assertInvalid(decode(input),
                "v1: invalid TCP4 source address: 192.0.2.256 (octet over 255)");
        assertThat(invalid.pending()).isEqualTo(ascii("EHLO x\r\n"));
    }

    @Test
    void withoutLfSwallows107Bytes() {
        byte[] tls = new byte[200];
        tls[0] = 0x16;
        tls[1] = 0x03;
        tls[2] = 0x01;
        tls[120] = '\n';
        DecodeResult.Invalid invalid = assertInvalid(decode(tls), "not a PROXY protocol header");
        assertThat(invalid.pending()).isEqualTo(Arrays.copyOfRange(tls, 107, 200));
        assertThat(invalid.head()).isEqualTo(Arrays.copyOf(tls, 64));

        DecodeResult.Invalid shortTls = assertInvalid(decode(hex("16030100A5")), "not a PROXY protocol header");
        assertThat(shortTls.pending()).isEmpty();
    }

    @Test
    void lfAtByte108IsBeyondTheLine() {
        byte[] input = ascii("PROXY UNKNOWN " + "a".repeat(92) + "\r\nQUIT\r\n");
        DecodeResult.Invalid invalid = assertInvalid(decode(input), "v1: header line longer than 107 bytes");
        assertThat(invalid.pending()).isEqualTo(ascii("\nQUIT\r\n"));
    }

    @Test
    void failedV2HeaderSwallowsItsAnnouncedLength() {
        byte[] overrun = hex(SIG + "21 11 0011 C0000201C6336407C3500019 0200106162");
        DecodeResult.Invalid invalid = assertInvalid(decode(concat(overrun, ascii("QUIT\r\n"))),
                "v2: TLV 0x02 length 16 overruns its container by 14 bytes");
        assertThat(invalid.pending()).isEqualTo(ascii("QUIT\r\n"));
        assertThat(invalid.head()).isEqualTo(concat(overrun, ascii("QUIT\r\n")));
    }

    @Test
    void oversizedV2HeaderIsSwallowedWhole() {
        byte[] huge = concat(hex(SIG + "21 11 FFFF"), new byte[65535], ascii("EHLO x\r\n"));
        DecodeResult.Invalid invalid = assertInvalid(decode(huge),
                "v2: header length 65551 exceeds the limit of 4096 bytes");
        assertThat(invalid.pending()).isEqualTo(ascii("EHLO x\r\n"));
        assertThat(invalid.head()).isEqualTo(Arrays.copyOf(huge, 64));
    }

    @Test
    void oversizedV2HeaderIsSwallowedAcrossReads() {
        byte[] header = concat(hex(SIG + "21 11 2710"), new byte[10_000]);
        header[30] = 7;
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        // the failure is known from byte 16 on; the 10,000 bytes behind it still belong to the header
        assertThat(decoder.feed(header, 0, 20)).isInstanceOf(DecodeResult.NeedMore.class);
        assertThat(decoder.feed(header, 20, 5000)).isInstanceOf(DecodeResult.NeedMore.class);
        assertThat(decoder.feed(header, 5020, 4995)).isInstanceOf(DecodeResult.NeedMore.class);
        DecodeResult.Invalid invalid = assertInvalid(decoder.feed(header, 10_015, 1),
                "v2: header length 10016 exceeds the limit of 4096 bytes");
        assertThat(invalid.pending()).isEmpty();
        assertThat(invalid.head()).isEqualTo(Arrays.copyOf(header, 64));
    }

    @Test
    void bytesAfterAnOversizedV2HeaderArePending() {
        byte[] input = concat(hex(SIG + "21 11 2710"), new byte[10_000], ascii("EHLO x\r\n"));
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        assertThat(decoder.feed(input, 0, 16)).isInstanceOf(DecodeResult.NeedMore.class);
        DecodeResult.Invalid invalid = assertInvalid(decoder.feed(input, 16, input.length - 16),
                "v2: header length 10016 exceeds the limit of 4096 bytes");
        assertThat(invalid.pending()).isEqualTo(ascii("EHLO x\r\n"));
    }

    @Test
    void timeoutWhileSwallowingAnOversizedV2Header() {
        byte[] header = concat(hex(SIG + "21 11 2710"), new byte[10_000]);
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        assertThat(decoder.feed(header, 0, 5000)).isInstanceOf(DecodeResult.NeedMore.class);
        DecodeResult.Invalid invalid = decoder.timeout();
        assertThat(invalid.reason()).isEqualTo("timeout: no complete PROXY protocol header after 5000 bytes"
                + " (v2: header length 10016 exceeds the limit of 4096 bytes)");
        assertThat(invalid.pending()).isEmpty();
        assertThat(invalid.head()).isEqualTo(Arrays.copyOf(header, 64));
    }

    @Test
    void v2SignatureWithFewerThan16BytesSwallowsEverything() {
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        assertThat(decoder.feed(hex(SIG + "21 11"))).isInstanceOf(DecodeResult.NeedMore.class);
        DecodeResult.Invalid invalid = decoder.timeout();
        assertThat(invalid.reason()).isEqualTo("timeout: no complete PROXY protocol header after 14 bytes");
        assertThat(invalid.pending()).isEmpty();
    }

    @Test
    void brokenV2SignatureFallsBackToTheLineRule() {
        byte[] input = concat(hex("0D0A0D0A01"), ascii("rest"));
        DecodeResult.Invalid invalid = assertInvalid(decode(input), "v2: signature mismatch at offset 4");
        // the first LF is byte 1
        assertThat(invalid.pending()).isEqualTo(Arrays.copyOfRange(input, 2, input.length));
    }

    @Test
    void timeoutWithNothingReceived() {
        DecodeResult.Invalid invalid = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER).timeout();
        assertThat(invalid.reason()).isEqualTo("timeout: no complete PROXY protocol header after 0 bytes");
        assertThat(invalid.head()).isEmpty();
        assertThat(invalid.pending()).isEmpty();
    }

    @Test
    void timeoutAfterPartialV1Line() {
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        assertThat(decoder.feed(ascii("PROXY TCP4 192.0.2.1"))).isInstanceOf(DecodeResult.NeedMore.class);
        DecodeResult.Invalid invalid = decoder.timeout();
        assertThat(invalid.head()).isEqualTo(ascii("PROXY TCP4 192.0.2.1"));
        assertThat(invalid.pending()).isEmpty();
    }

    @Test
    void timeoutAfterV2BodyPartlyReceived() {
        byte[] big = Vectors.v2Tcp4WithTlv(0xE0, 300);
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        assertThat(decoder.feed(big, 0, 200)).isInstanceOf(DecodeResult.NeedMore.class);
        DecodeResult.Invalid invalid = decoder.timeout();
        assertThat(invalid.head()).isEqualTo(Arrays.copyOf(big, 64));
        assertThat(invalid.pending()).isEmpty();
    }

    @Test
    void megabyteOfUnknownLineWithoutCrlfFailsWithin107Bytes() {
        byte[] flood = new byte[1 << 20];
        Arrays.fill(flood, (byte) 'a');
        System.arraycopy(ascii("PROXY UNKNOWN "), 0, flood, 0, 14);

        DecodeResult.Invalid whole = assertInvalid(decode(flood), "v1: header line longer than 107 bytes");
        assertThat(whole.pending()).hasSize(flood.length - 107);

        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER);
        int fed = 0;
        DecodeResult result = new DecodeResult.NeedMore();
        while (result instanceof DecodeResult.NeedMore) {
            result = decoder.feed(flood, fed++, 1);
        }
        assertThat(fed).isLessThanOrEqualTo(ProxyHeaderDecoder.V1_MAX_LENGTH);
        assertInvalid(result, "v1: header line longer than 107 bytes");
    }

    @Test
    void largestV2HeaderFedInSmallChunks() {
        byte[] largest = Vectors.v2Tcp4WithTlv(0xE0, 65535 - 15);
        assertThat(largest).hasSize(ProxyHeaderDecoder.MAX_MAX_HEADER);
        ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(ProxyHeaderDecoder.MAX_MAX_HEADER);
        DecodeResult result = new DecodeResult.NeedMore();
        for (int pos = 0; pos < largest.length; pos += 1000) {
            assertThat(result).isInstanceOf(DecodeResult.NeedMore.class);
            result = decoder.feed(largest, pos, Math.min(1000, largest.length - pos));
        }
        assertThat(((DecodeResult.Decoded) result).header().length()).isEqualTo(65551);
    }
}
