package io.smtpsidecar.dns;

import java.net.InetAddress;

/**
 * The PTR query name of an address. Vert.x 5.2's {@code DnsClient.reverseLookup} appends {@code in-addr.arpa} to IPv6
 * addresses too, so the sidecar builds the name itself and calls {@code resolvePTR}.
 */
public final class ReverseNames {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private ReverseNames() {
    }

    public static String of(InetAddress address) {
        byte[] b = address.getAddress();
        StringBuilder sb = new StringBuilder(b.length == 4 ? 29 : 73);
        if (b.length == 4) {
            for (int i = 3; i >= 0; i--) {
                sb.append(b[i] & 0xff).append('.');
            }
            return sb.append("in-addr.arpa").toString();
        }
        for (int i = 15; i >= 0; i--) {
            sb.append(HEX[b[i] & 0x0f]).append('.').append(HEX[(b[i] >> 4) & 0x0f]).append('.');
        }
        return sb.append("ip6.arpa").toString();
    }
}
