package io.smtpsidecar.support;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.proxy.ProxyHeaderEncoder;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * PROXY headers for tests and the load tool. Well-formed headers come from the sidecar's own encoder (pinned to
 * literal bytes by {@code ProxyHeaderEncoderTest}); {@link #v2(int, int, byte[])} frames any v2 body, valid or not.
 * Conformance tests that spell out exact bytes keep their literals.
 */
public final class ProxyHeaders {
    public static final int V2_LOCAL = 0x20;
    public static final int V2_PROXY = 0x21;
    public static final int UNSPEC = 0x00;
    public static final int TCP4 = 0x11;
    public static final int TCP6 = 0x21;

    /** From the encoder: V2Parser writes the signature out once; tests pin it (encoder test, Vectors.SIG). */
    private static final byte[] V2_SIGNATURE = Arrays.copyOf(v2("192.0.2.1", 1, "192.0.2.2", 2), 12);

    private ProxyHeaders() {
    }

    /** The 12 bytes that open every v2 header. */
    public static byte[] v2Signature() {
        return V2_SIGNATURE.clone();
    }

    /** {@code PROXY TCP4|TCP6 source destination sourcePort destinationPort\r\n}. */
    public static byte[] v1(String source, int sourcePort, String destination, int destinationPort) {
        return ProxyHeaderEncoder.v1(at(source, sourcePort), at(destination, destinationPort));
    }

    /** A v2 PROXY command over TCP4 (both addresses IPv4) or TCP6, without TLVs. */
    public static byte[] v2(String source, int sourcePort, String destination, int destinationPort) {
        return ProxyHeaderEncoder.v2(at(source, sourcePort), at(destination, destinationPort));
    }

    /** A v2 LOCAL command with no addresses, as a load balancer's health check sends it. */
    public static byte[] v2Local() {
        return v2(V2_LOCAL, UNSPEC, new byte[0]);
    }

    /** Signature, version/command byte, family byte, a length field that counts {@code body}, then {@code body}. */
    public static byte[] v2(int versionCommand, int family, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 + body.length);
        out.writeBytes(v2Start(versionCommand, family, body.length));
        out.writeBytes(body);
        return out.toByteArray();
    }

    /** The fixed 16 bytes of a v2 header whose length field declares {@code length} more bytes. */
    public static byte[] v2Start(int versionCommand, int family, int length) {
        byte[] start = new byte[16];
        System.arraycopy(V2_SIGNATURE, 0, start, 0, V2_SIGNATURE.length);
        start[12] = (byte) versionCommand;
        start[13] = (byte) family;
        start[14] = (byte) (length >> 8);
        start[15] = (byte) length;
        return start;
    }

    private static InetSocketAddress at(String address, int port) {
        return new InetSocketAddress(IpAddresses.parse(address), port);
    }
}
