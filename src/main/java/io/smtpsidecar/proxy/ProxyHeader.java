package io.smtpsidecar.proxy;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * A complete, valid PROXY protocol header.
 *
 * <p>A {@code local} header (v1 {@code UNKNOWN}, v2 {@code LOCAL}, v2 {@code PROXY} with {@code AF_UNSPEC}) carries
 * no client identity: the connection's own endpoints stay authoritative. Otherwise both endpoints are present,
 * built from raw bytes (never resolved through DNS) with IPv4-mapped IPv6 addresses already turned into IPv4.
 *
 * @param version     1 or 2
 * @param local       true when the header announces no client identity
 * @param source      the client endpoint, null exactly when {@code local}
 * @param destination the endpoint the client connected to, null exactly when {@code local}
 * @param tlvs        v2 TLVs in wire order; empty for v1 and for local headers
 * @param length      the header's size on the wire in bytes (a v1 line including its CRLF)
 */
public record ProxyHeader(int version, boolean local, InetSocketAddress source, InetSocketAddress destination,
                          List<Tlv> tlvs, int length) {

    public ProxyHeader {
        if (version != 1 && version != 2) {
            throw new IllegalArgumentException("version must be 1 or 2, got " + version);
        }
        if (local != (source == null) || local != (destination == null)) {
            throw new IllegalArgumentException("source and destination must be null exactly when local, local="
                    + local + ", source=" + source + ", destination=" + destination);
        }
        if (!local && (source.isUnresolved() || destination.isUnresolved())) {
            throw new IllegalArgumentException("endpoints must carry an IP address, got " + source + " -> "
                    + destination);
        }
        tlvs = List.copyOf(tlvs);
        if ((version == 1 || local) && !tlvs.isEmpty()) {
            throw new IllegalArgumentException("only non-local v2 headers carry TLVs, got " + tlvs.size());
        }
        int min = version == 1 ? "PROXY UNKNOWN\r\n".length() : 16;
        int max = version == 1 ? ProxyHeaderDecoder.V1_MAX_LENGTH : ProxyHeaderDecoder.MAX_MAX_HEADER;
        if (length < min || length > max) {
            throw new IllegalArgumentException("v" + version + " header length must be " + min + ".." + max
                    + ", got " + length);
        }
    }
}
