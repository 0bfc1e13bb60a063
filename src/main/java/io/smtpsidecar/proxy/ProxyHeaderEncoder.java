package io.smtpsidecar.proxy;

import io.smtpsidecar.addr.IpAddresses;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Builds the PROXY header the sidecar sends to a backend that speaks PROXY instead of XCLIENT (Postfix's
 * {@code smtpd_upstream_proxy_protocol = haproxy}, Exim's {@code hosts_proxy}). When the two endpoints differ in
 * family, both are sent as IPv6 with the IPv4 one mapped ({@code ::ffff:a.b.c.d}), as HAProxy does.
 */
public final class ProxyHeaderEncoder {
    private ProxyHeaderEncoder() {
    }

    /** {@code PROXY TCP4|TCP6 src dst sport dport\r\n}. */
    public static byte[] v1(InetSocketAddress source, InetSocketAddress destination) {
        boolean v4 = bothIpv4(source, destination);
        String line = "PROXY " + (v4 ? "TCP4 " : "TCP6 ")
            + text(source.getAddress(), v4) + " " + text(destination.getAddress(), v4) + " "
            + source.getPort() + " " + destination.getPort() + "\r\n";
        return line.getBytes(StandardCharsets.US_ASCII);
    }

    /** A v2 {@code PROXY} command over TCP, without TLVs. */
    public static byte[] v2(InetSocketAddress source, InetSocketAddress destination) {
        boolean v4 = bothIpv4(source, destination);
        int addressBytes = v4 ? 12 : 36;
        ByteBuffer b = ByteBuffer.allocate(16 + addressBytes);
        b.put(V2Parser.SIGNATURE).put((byte) 0x21).put((byte) (v4 ? 0x11 : 0x21)).putShort((short) addressBytes);
        b.put(bytes(source.getAddress(), v4)).put(bytes(destination.getAddress(), v4));
        b.putShort((short) source.getPort()).putShort((short) destination.getPort());
        return b.array();
    }

    private static boolean bothIpv4(InetSocketAddress a, InetSocketAddress b) {
        return a.getAddress() instanceof Inet4Address && b.getAddress() instanceof Inet4Address;
    }

    private static String text(InetAddress address, boolean v4) {
        if (v4 || !(address instanceof Inet4Address)) {
            return IpAddresses.format(address);
        }
        return "::ffff:" + IpAddresses.format(address);
    }

    private static byte[] bytes(InetAddress address, boolean v4) {
        byte[] raw = address.getAddress();
        if (v4 || raw.length == 16) {
            return raw;
        }
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        System.arraycopy(raw, 0, mapped, 12, 4);
        return mapped;
    }
}
