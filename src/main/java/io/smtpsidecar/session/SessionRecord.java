package io.smtpsidecar.session;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.metrics.Outcome;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * What one connection did, written as one log line when it ends, in Exim's style:
 * {@code forwarded H=client5.e2e.test [127.0.0.5]:40001 I=[10.0.0.7]:2465 PRX=127.0.0.1 P=proxy-v2
 * X=TLSv1.3:TLS_AES_256_GCM_SHA384 in=1234 out=567 T=0.123s}.
 *
 * @param peer the socket peer (the load balancer for proxied sessions)
 * @param client the identity the session was given (header source, or the socket peer)
 * @param clientName the forward-confirmed name sent as XCLIENT NAME, or null
 * @param reason why the session was refused or failed, or null
 * @param failedHeader up to 64 bytes of a failed PROXY header, or null
 * @param listener the listener's name
 * @param local the sidecar's end of the connection (the listener's address; Exim's {@code I=})
 * @param tls the protocol and cipher of a terminated TLS session ({@code TLSv1.3:TLS_AES_128_GCM_SHA256}), or null
 */
public record SessionRecord(InetSocketAddress peer, InetSocketAddress client, String clientName,
                            IdentitySource source, Outcome outcome, String reason, byte[] failedHeader,
                            long bytesIn, long bytesOut, Duration duration, String listener,
                            InetSocketAddress local, String tls) {

    public String format() {
        StringBuilder sb = new StringBuilder(160);
        sb.append(outcome.label()).append(" H=");
        if (clientName != null && !clientName.startsWith("[")) {
            sb.append(clientName).append(' ');
        }
        appendAddress(sb, client);
        sb.append(" I=");
        appendAddress(sb, local);
        if (source == IdentitySource.PROXY_V1 || source == IdentitySource.PROXY_V2) {
            sb.append(" PRX=").append(IpAddresses.format(peer.getAddress()));
        }
        sb.append(" P=").append(source.label());
        if (tls != null) {
            sb.append(" X=").append(tls);
        }
        if (reason != null) {
            sb.append(" reason=\"").append(reason.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        if (failedHeader != null) {
            sb.append(" input=\"").append(escape(failedHeader)).append('"');
        }
        sb.append(" in=").append(bytesIn).append(" out=").append(bytesOut);
        // milliseconds, rounded half up, as seconds with three decimals (String.format costs more than the rest)
        long ms = (duration.toNanos() + 500_000) / 1_000_000;
        long frac = ms % 1000;
        sb.append(" T=").append(ms / 1000).append('.').append(frac < 100 ? frac < 10 ? "00" : "0" : "").append(frac)
            .append('s');
        return sb.toString();
    }

    /** The same facts as {@link #format()}, as named fields for JSON logs. */
    public java.util.Map<String, Object> fields() {
        java.util.Map<String, Object> f = new java.util.LinkedHashMap<>();
        f.put("outcome", outcome.label());
        if (clientName != null && !clientName.startsWith("[")) {
            f.put("host", clientName);
        }
        f.put("ip", IpAddresses.format(client.getAddress()));
        f.put("port", client.getPort());
        f.put("listener", listener);
        f.put("interface", "[" + IpAddresses.format(local.getAddress()) + "]:" + local.getPort());
        if (source == IdentitySource.PROXY_V1 || source == IdentitySource.PROXY_V2) {
            f.put("prx", IpAddresses.format(peer.getAddress()));
        }
        f.put("p", source.label());
        if (tls != null) {
            f.put("tls", tls);
        }
        if (reason != null) {
            f.put("reason", reason);
        }
        if (failedHeader != null) {
            f.put("input", escape(failedHeader));
        }
        f.put("in", bytesIn);
        f.put("out", bytesOut);
        f.put("seconds", duration.toNanos() / 1e9);
        return f;
    }

    private static void appendAddress(StringBuilder sb, InetSocketAddress address) {
        sb.append('[').append(IpAddresses.format(address.getAddress())).append("]:").append(address.getPort());
    }

    /** A C-style escaped copy that is always one printable ASCII line. */
    static String escape(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            int c = b & 0xff;
            switch (c) {
                case '\r' -> sb.append("\\r");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                default -> {
                    if (c >= 0x20 && c < 0x7f) {
                        sb.append((char) c);
                    } else {
                        sb.append(String.format("\\x%02x", c));
                    }
                }
            }
        }
        return sb.toString();
    }
}
