package io.smtpsidecar.tls;

import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;

/** Names why a TLS handshake failed, from a fixed set (the {@code reason} label of the failure counter). */
public final class TlsFailures {
    private TlsFailures() {
    }

    /** One of {@link io.smtpsidecar.metrics.ListenerMetrics#TLS_FAILURE_REASONS}. */
    public static String reason(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof NotSslRecordException) {
                return "not_tls";
            }
            if (t instanceof SslHandshakeTimeoutException) {
                return "timeout";
            }
            if (t instanceof ClosedChannelException) {
                return "closed";
            }
        }
        String text = String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT);
        if (text.contains("protocol_version") || text.contains("no appropriate protocol")
            || text.contains("unsupported protocol") || text.contains("client requested protocol")) {
            return "protocol_version";
        }
        if (text.contains("no cipher suites in common") || text.contains("handshake_failure")
            || text.contains("insufficient_security") || text.contains("no supported signature")) {
            return "no_shared_cipher";
        }
        if (text.contains("certificate_unknown") || text.contains("bad_certificate")
            || text.contains("unknown_ca") || text.contains("certificate_expired")) {
            return "certificate_rejected";
        }
        if (text.contains("closed") || text.contains("connection reset")) {
            return "closed";
        }
        return "other";
    }

    /** A short text for the session line: the innermost message, one line. */
    public static String describe(Throwable cause) {
        Throwable t = cause;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return message.replace('\n', ' ').replace('\r', ' ');
    }
}
