package io.smtpsidecar.proxy;

import static io.smtpsidecar.proxy.Vectors.ascii;
import static io.smtpsidecar.proxy.Vectors.assertInvalid;
import static io.smtpsidecar.proxy.Vectors.concat;
import static io.smtpsidecar.proxy.Vectors.decode;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.handler.codec.haproxy.HAProxySSLTLV;
import io.netty.handler.codec.haproxy.HAProxyTLV;
import io.smtpsidecar.addr.IpAddresses;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Netty's codec (netty-codec-haproxy, version pinned by the pom) as an independent oracle: headers it encodes must
 * decode to the same endpoints and TLVs, and where both accept a vector they must agree.
 */
class NettyOracleTest {
    private static final int ROUNDS = 300;

    @Test
    void randomV1HeadersEncodedByNetty() {
        Random random = new Random(1);
        for (int i = 0; i < ROUNDS; i++) {
            boolean v6 = random.nextBoolean();
            Endpoints e = Endpoints.random(random, v6);
            HAProxyMessage message = new HAProxyMessage(HAProxyProtocolVersion.V1, HAProxyCommand.PROXY,
                    v6 ? HAProxyProxiedProtocol.TCP6 : HAProxyProxiedProtocol.TCP4,
                    e.sourceText, e.destinationText, e.sourcePort, e.destinationPort);
            byte[] wire = encode(message);
            ProxyHeader header = decoded(decode(wire), new String(wire, 0, wire.length - 2));
            assertThat(header.version()).isEqualTo(1);
            e.assertMatches(header);
            assertSameEndpoints(header, nettyDecode(wire));
        }
    }

    @Test
    void randomV2HeadersEncodedByNetty() {
        Random random = new Random(2);
        for (int i = 0; i < ROUNDS; i++) {
            boolean v6 = random.nextBoolean();
            Endpoints e = Endpoints.random(random, v6);
            List<Tlv> expected = new ArrayList<>();
            List<HAProxyTLV> nettyTlvs = randomTlvs(random, expected);
            HAProxyMessage message = new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY,
                    v6 ? HAProxyProxiedProtocol.TCP6 : HAProxyProxiedProtocol.TCP4,
                    e.sourceText, e.destinationText, e.sourcePort, e.destinationPort, nettyTlvs);
            byte[] wire = encode(message);
            ProxyHeader header = decoded(decode(wire), "round " + i);
            assertThat(header.version()).isEqualTo(2);
            assertThat(header.length()).isEqualTo(wire.length);
            e.assertMatches(header);
            assertThat(header.tlvs()).isEqualTo(expected);
            HAProxyMessage netty = nettyDecode(wire);
            assertSameEndpoints(header, netty);
            assertThat(netty.tlvs()).extracting(t -> t.typeByteValue() & 0xFF)
                    .containsExactlyElementsOf(nettyTypes(expected));
            netty.release();
        }
    }

    @Test
    void crc32cOnNettyEncodedHeaders() {
        Random random = new Random(3);
        for (int i = 0; i < 50; i++) {
            Endpoints e = Endpoints.random(random, random.nextBoolean());
            HAProxyMessage message = new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY,
                    e.v6 ? HAProxyProxiedProtocol.TCP6 : HAProxyProxiedProtocol.TCP4, e.sourceText,
                    e.destinationText, e.sourcePort, e.destinationPort,
                    List.of(new HAProxyTLV((byte) 0x05, Unpooled.wrappedBuffer(ascii("id-" + i))),
                            new HAProxyTLV((byte) Tlv.TYPE_CRC32C, Unpooled.wrappedBuffer(new byte[4]))));
            byte[] wire = encode(message);
            CRC32C crc = new CRC32C();
            crc.update(wire);
            int at = wire.length - 4;
            for (int b = 0; b < 4; b++) {
                wire[at + b] = (byte) (crc.getValue() >> (24 - 8 * b));
            }
            e.assertMatches(decoded(decode(wire), "round " + i));
            wire[at + 3] ^= 1;
            assertInvalid(decode(wire), "v2: CRC32C mismatch");
        }
    }

    @Test
    void ipv4MappedTcp6FromNettyBecomesIpv4() {
        HAProxyMessage message = new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY,
                HAProxyProxiedProtocol.TCP6, "::ffff:192.0.2.1", "::ffff:198.51.100.7", 50000, 25);
        ProxyHeader header = decoded(decode(encode(message)), "mapped");
        assertThat(header.source()).isEqualTo(Vectors.endpoint("192.0.2.1", 50000));
        assertThat(header.destination()).isEqualTo(Vectors.endpoint("198.51.100.7", 25));
    }

    static Stream<Arguments> vectorsNettyAccepts() {
        // V1-7 is left out: Netty refuses port 0, which the spec allows (see nettyRefusesPortZero)
        return Vectors.valid().stream().filter(v -> !v[0].equals("V1-7")).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectorsNettyAccepts")
    void validVectorsAgreeWithNettyDecoder(String name, byte[] bytes) {
        DecodeResult.Decoded ours = (DecodeResult.Decoded) decode(bytes);
        EmbeddedChannel channel = new EmbeddedChannel(new HAProxyMessageDecoder());
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        HAProxyMessage netty = channel.readInbound();
        boolean nettyLocal = netty.command() == HAProxyCommand.LOCAL
                || netty.proxiedProtocol() == HAProxyProxiedProtocol.UNKNOWN;
        assertThat(ours.header().local()).isEqualTo(nettyLocal);
        if (!nettyLocal) {
            assertSameEndpoints(ours.header(), netty);
            assertThat(netty.tlvs()).extracting(t -> t.typeByteValue() & 0xFF)
                    .containsExactlyElementsOf(nettyTypes(ours.header().tlvs()));
        }
        netty.release();
        ByteBuf after = channel.readInbound();
        byte[] nettyRest = after == null ? new byte[0] : ByteBufUtil.getBytes(after);
        assertThat(ours.rest()).isEqualTo(nettyRest);
        if (after != null) {
            after.release();
        }
        channel.finishAndReleaseAll();
    }

    @Test
    void nettyLeniencesWeReject() {
        byte[] leadingZeroPort = ascii("PROXY TCP4 192.0.2.1 198.51.100.7 050000 25\r\n");
        assertThat(nettyDecode(leadingZeroPort).sourcePort()).isEqualTo(50000);
        assertInvalid(decode(leadingZeroPort), "v1: invalid source port: 050000 (leading zero)");

        byte[] leadingZeroOctet = ascii("PROXY TCP4 192.0.02.1 198.51.100.7 50000 25\r\n");
        assertThat(nettyDecode(leadingZeroOctet).sourceAddress()).isEqualTo("192.0.02.1");
        assertInvalid(decode(leadingZeroOctet), "v1: invalid TCP4 source address: 192.0.02.1 (leading zero)");

        byte[] badCrc = Vectors.V2_6.clone();
        badCrc[66] = 0x67;
        assertThat(nettyDecode(badCrc).sourceAddress()).isEqualTo("192.0.2.1");
        assertInvalid(decode(badCrc), "v2: CRC32C mismatch");

        byte[] longUnknown = ascii("PROXY UNKNOWN " + "a".repeat(92) + "\r\n");
        assertThat(nettyDecode(longUnknown).proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.UNKNOWN);
        assertInvalid(decode(longUnknown), "v1: header line longer than 107 bytes");

        byte[] udp4 = Vectors.hex(Vectors.SIG + "21 12 000C C0000201C6336407C3500019");
        assertThat(nettyDecode(udp4).proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.UDP4);
        assertInvalid(decode(udp4), "v2: unsupported family 0x12 (UDP over IPv4) on a TCP service");

        byte[] twoTrailingBytes = Vectors.v2WithTlvs("E00000 0100");
        assertThat(nettyDecode(twoTrailingBytes).tlvs()).hasSize(1);
        assertInvalid(decode(twoTrailingBytes), "v2: 2 trailing byte(s) after the last TLV");
    }

    @Test
    void nettyWaitsWhereWeRejectAtOnce() {
        byte[] lfOnly = ascii("PROXY TCP4 192.0.2.1 198.51.100.7 50000 25\n");
        EmbeddedChannel channel = new EmbeddedChannel(new HAProxyMessageDecoder());
        channel.writeInbound(Unpooled.wrappedBuffer(lfOnly));
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.isOpen()).isTrue();
        channel.finishAndReleaseAll();
        assertInvalid(decode(lfOnly), "v1: LF without CR at offset 42");
    }

    @Test
    void nettyRefusesPortZero() {
        EmbeddedChannel channel = new EmbeddedChannel(new HAProxyMessageDecoder());
        try {
            channel.writeInbound(Unpooled.wrappedBuffer(Vectors.V1_7));
        } catch (RuntimeException expected) {
            // Netty reports the refusal as an exception and closes the channel
        }
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.isOpen()).isFalse();
        assertThat(decode(Vectors.V1_7)).isInstanceOf(DecodeResult.Decoded.class);
    }

    private static ProxyHeader decoded(DecodeResult result, String what) {
        assertThat(result).as(what).isInstanceOf(DecodeResult.Decoded.class);
        DecodeResult.Decoded decoded = (DecodeResult.Decoded) result;
        assertThat(decoded.rest()).isEmpty();
        return decoded.header();
    }

    private static void assertSameEndpoints(ProxyHeader ours, HAProxyMessage netty) {
        assertThat(ours.source()).isEqualTo(
                new InetSocketAddress(IpAddresses.parse(netty.sourceAddress()), netty.sourcePort()));
        assertThat(ours.destination()).isEqualTo(
                new InetSocketAddress(IpAddresses.parse(netty.destinationAddress()), netty.destinationPort()));
    }

    /** TLV types as Netty lists them: each SSL TLV is followed by its sub-TLVs. */
    private static List<Integer> nettyTypes(List<Tlv> tlvs) {
        List<Integer> types = new ArrayList<>();
        for (Tlv tlv : tlvs) {
            types.add(tlv.type());
            if (tlv.type() == Tlv.TYPE_SSL) {
                byte[] value = tlv.value();
                int pos = 5;
                while (pos < value.length) {
                    types.add(value[pos] & 0xFF);
                    pos += 3 + ((value[pos + 1] & 0xFF) << 8 | value[pos + 2] & 0xFF);
                }
            }
        }
        return types;
    }

    private static byte[] encode(HAProxyMessage message) {
        EmbeddedChannel channel = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
        channel.writeOutbound(message);
        ByteBuf out = channel.readOutbound();
        byte[] bytes = ByteBufUtil.getBytes(out);
        out.release();
        channel.finishAndReleaseAll();
        return bytes;
    }

    private static HAProxyMessage nettyDecode(byte[] bytes) {
        EmbeddedChannel channel = new EmbeddedChannel(new HAProxyMessageDecoder());
        channel.writeInbound(Unpooled.wrappedBuffer(bytes));
        HAProxyMessage message = channel.readInbound();
        assertThat(message).as("Netty decoded the header").isNotNull();
        channel.finishAndReleaseAll();
        return message;
    }

    /** Zero to three TLVs of assorted types, sometimes an SSL TLV with sub-TLVs; fills {@code expected}. */
    private static List<HAProxyTLV> randomTlvs(Random random, List<Tlv> expected) {
        int[] types = {0x01, 0x02, 0x04, 0x05, 0x30, 0xE0, 0xF3};
        List<HAProxyTLV> tlvs = new ArrayList<>();
        for (int n = random.nextInt(4); n > 0; n--) {
            if (random.nextInt(4) == 0) {
                byte[] version = ascii("TLSv1." + random.nextInt(4));
                byte client = (byte) random.nextInt(8);
                int verify = random.nextInt();
                tlvs.add(new HAProxySSLTLV(verify, client,
                        List.of(new HAProxyTLV((byte) 0x21, Unpooled.wrappedBuffer(version)))));
                expected.add(new Tlv(Tlv.TYPE_SSL, concat(new byte[] {client, (byte) (verify >> 24),
                        (byte) (verify >> 16), (byte) (verify >> 8), (byte) verify}, new byte[] {0x21, 0,
                        (byte) version.length}, version)));
            } else {
                int type = types[random.nextInt(types.length)];
                byte[] value = new byte[random.nextInt(40)];
                random.nextBytes(value);
                tlvs.add(new HAProxyTLV((byte) type, Unpooled.wrappedBuffer(value.clone())));
                expected.add(new Tlv(type, value));
            }
        }
        return tlvs;
    }

    /** A random pair of endpoints, with the text Netty is given and the addresses we must come back with. */
    private record Endpoints(boolean v6, String sourceText, String destinationText, InetAddress source,
                             InetAddress destination, int sourcePort, int destinationPort) {

        static Endpoints random(Random random, boolean v6) {
            InetAddress source = address(random, v6);
            InetAddress destination = address(random, v6);
            // Netty refuses port 0 in v1, so the oracle stays within 1..65535
            return new Endpoints(v6, text(random, source), text(random, destination), source, destination,
                    1 + random.nextInt(65535), 1 + random.nextInt(65535));
        }

        private static InetAddress address(Random random, boolean v6) {
            byte[] bytes = new byte[v6 ? 16 : 4];
            random.nextBytes(bytes);
            if (v6) {
                // byte 10 zero keeps clear of ::ffff:0:0/96, which would come back as IPv4
                bytes[10] = 0;
                int zeroGroups = random.nextInt(5);
                int start = random.nextInt(8 - zeroGroups + 1);
                Arrays.fill(bytes, 2 * start, 2 * (start + zeroGroups), (byte) 0);
            }
            return IpAddresses.toAddress(bytes);
        }

        /** Compressed, the JDK's uncompressed form, or four digits per group. */
        private static String text(Random random, InetAddress address) {
            if (!(address instanceof Inet6Address)) {
                return IpAddresses.format(address);
            }
            return switch (random.nextInt(3)) {
                case 0 -> IpAddresses.format(address);
                case 1 -> address.getHostAddress();
                default -> {
                    byte[] b = address.getAddress();
                    StringBuilder sb = new StringBuilder();
                    for (int g = 0; g < 8; g++) {
                        sb.append(g == 0 ? "" : ":").append(String.format("%02x%02x", b[2 * g], b[2 * g + 1]));
                    }
                    yield sb.toString();
                }
            };
        }

        void assertMatches(ProxyHeader header) {
            assertThat(header.local()).isFalse();
            assertThat(header.source()).isEqualTo(new InetSocketAddress(source, sourcePort));
            assertThat(header.destination()).isEqualTo(new InetSocketAddress(destination, destinationPort));
        }
    }
}
