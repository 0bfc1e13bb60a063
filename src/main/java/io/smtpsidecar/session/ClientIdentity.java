package io.smtpsidecar.session;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.proxy.ProxyHeader;
import io.smtpsidecar.proxy.ProxyHeaderEncoder;
import io.smtpsidecar.smtp.XclientRequest;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Who the session's client is: the TCP peer until a required proxy's header says otherwise, then the header's
 * source and destination. Decides whether a header's claim may be used, and says the identity to the backend
 * (XCLIENT, or a PROXY header of its own). Pure: no I/O.
 */
final class ClientIdentity {
    private final InetSocketAddress peer;
    private final InetSocketAddress local;
    private InetSocketAddress client;
    private InetSocketAddress destination;
    private IdentitySource source = IdentitySource.DIRECT;
    private String name;

    /** @param peer and @param local the accepted socket's two ends */
    ClientIdentity(InetSocketAddress peer, InetSocketAddress local) {
        this.peer = canonical(peer);
        this.local = canonical(local);
        this.client = this.peer;
    }

    /** Why a valid header's source must not be used ({@code proxy.rejectSources}, the own address), or null. */
    private String refused(ProxyHeader header, SidecarConfig.Proxy proxy) {
        if (header.local()) {
            return null;
        }
        InetAddress claimed = header.source().getAddress();
        if (proxy.rejectSources().matches(claimed)) {
            return "claimed source " + IpAddresses.format(claimed) + " is in proxy.rejectSources";
        }
        if (proxy.rejectOwnAddress() && claimed.equals(local.getAddress())) {
            return "claimed source " + IpAddresses.format(claimed) + " is the sidecar's own address";
        }
        return null;
    }

    /** Takes a valid header's identity; returns why it is refused instead (the identity stays the peer's), or null. */
    String accept(ProxyHeader header, SidecarConfig.Proxy proxy) {
        String refused = refused(header, proxy);
        if (refused != null) {
            return refused;
        }
        if (header.local()) {
            source = IdentitySource.LOCAL;
        } else {
            source = header.version() == 1 ? IdentitySource.PROXY_V1 : IdentitySource.PROXY_V2;
            client = header.source();
            destination = header.destination();
        }
        return null;
    }

    /** The XCLIENT attributes, with {@code name} from reverse DNS (kept for the session line). */
    XclientRequest xclient(String name) {
        this.name = name;
        return new XclientRequest(client.getAddress(), client.getPort(), name,
            destination == null ? null : destination.getAddress(), destination == null ? 0 : destination.getPort());
    }

    /** The PROXY header for the proxy-v1/v2 handshakes (to where the client connected), or null for XCLIENT. */
    byte[] proxyHeader(SidecarConfig.Handshake handshake) {
        InetSocketAddress to = destination != null ? destination : local;
        return switch (handshake) {
            case PROXY_V1 -> ProxyHeaderEncoder.v1(client, to);
            case PROXY_V2 -> ProxyHeaderEncoder.v2(client, to);
            default -> null;
        };
    }

    InetSocketAddress peer() {
        return peer;
    }

    /** The sidecar's own end of the accepted socket (the listener's address). */
    InetSocketAddress local() {
        return local;
    }

    InetSocketAddress client() {
        return client;
    }

    IdentitySource source() {
        return source;
    }

    String name() {
        return name;
    }

    /** Without an IPv6 zone, IPv4-mapped addresses as IPv4: {@code ::ffff:192.0.2.1} and 192.0.2.1 are one client. */
    static InetSocketAddress canonical(InetSocketAddress address) {
        InetAddress a = address.getAddress();
        if (a instanceof Inet4Address) {
            return address;
        }
        // a mapped address becomes IPv4; an IPv6 one is rebuilt from its 16 bytes, which drops a zone
        return new InetSocketAddress(IpAddresses.parse(IpAddresses.format(IpAddresses.canonical(a))), address.getPort());
    }
}
