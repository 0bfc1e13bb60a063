package io.smtpsidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.smtpsidecar.addr.IpAddresses;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProxyHeaderEncoderTest {
    private static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(IpAddresses.parse(ip), port);
    }

    @org.junit.jupiter.api.Test
    void exactBytes() {
        assertThat(new String(ProxyHeaderEncoder.v1(at("192.0.2.1", 50000), at("198.51.100.7", 25)),
            StandardCharsets.US_ASCII)).isEqualTo("PROXY TCP4 192.0.2.1 198.51.100.7 50000 25\r\n");
        assertThat(HexFormat.of().formatHex(ProxyHeaderEncoder.v2(at("192.0.2.1", 50000), at("198.51.100.7", 25))))
            .isEqualToIgnoringCase("0D0A0D0A000D0A515549540A2111000CC0000201C6336407C3500019");
        assertThat(new String(ProxyHeaderEncoder.v1(at("2001:db8::1", 1), at("192.0.2.7", 25)),
            StandardCharsets.US_ASCII)).isEqualTo("PROXY TCP6 2001:db8::1 ::ffff:192.0.2.7 1 25\r\n");
    }

    @ParameterizedTest
    @CsvSource({
        "192.0.2.1, 50000, 198.51.100.7, 25",
        "2001:db8::1, 1, 2001:db8::2, 65535",
        "2001:db8::1, 40000, 192.0.2.7, 25",
        "192.0.2.1, 40000, 2001:db8::2, 2525",
    })
    void roundTripsThroughOurDecoderAndNettys(String src, int sport, String dst, int dport) {
        InetSocketAddress source = at(src, sport);
        InetSocketAddress destination = at(dst, dport);
        for (byte[] header : new byte[][] {ProxyHeaderEncoder.v1(source, destination),
            ProxyHeaderEncoder.v2(source, destination)}) {
            DecodeResult result = new ProxyHeaderDecoder(ProxyHeaderDecoder.DEFAULT_MAX_HEADER).feed(header);
            assertThat(result).isInstanceOf(DecodeResult.Decoded.class);
            ProxyHeader decoded = ((DecodeResult.Decoded) result).header();
            assertThat(decoded.source()).isEqualTo(source);
            assertThat(decoded.destination()).isEqualTo(destination);
            assertThat(decoded.length()).isEqualTo(header.length);

            EmbeddedChannel netty = new EmbeddedChannel(new HAProxyMessageDecoder());
            netty.writeInbound(Unpooled.wrappedBuffer(header));
            HAProxyMessage message = netty.readInbound();
            assertThat(IpAddresses.canonical(IpAddresses.parse(message.sourceAddress())))
                .isEqualTo(source.getAddress());
            assertThat(message.sourcePort()).isEqualTo(sport);
            message.release();
            netty.finishAndReleaseAll();
        }
    }
}
