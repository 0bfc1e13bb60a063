package io.smtpsidecar.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.smtpsidecar.metrics.ListenerMetrics;
import java.nio.channels.ClosedChannelException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** Handshake failures map to the fixed reason labels, whatever wraps them. */
class TlsFailuresTest {

    @Test
    void eachKnownCauseHasItsReason() {
        assertThat(TlsFailures.reason(new DecoderException(new NotSslRecordException("not an SSL/TLS record: 45484c4f"))))
            .isEqualTo("not_tls");
        assertThat(TlsFailures.reason(new SslHandshakeTimeoutException("handshake timed out after 10000ms")))
            .isEqualTo("timeout");
        assertThat(TlsFailures.reason(new ClosedChannelException())).isEqualTo("closed");
        assertThat(TlsFailures.reason(new DecoderException(new SSLHandshakeException(
            "Client requested protocol TLSv1.1 is not enabled or supported in server context"))))
            .isEqualTo("protocol_version");
        assertThat(TlsFailures.reason(new SSLHandshakeException("No appropriate protocol (protocol is disabled or "
            + "cipher suites are inappropriate)"))).isEqualTo("protocol_version");
        assertThat(TlsFailures.reason(new SSLHandshakeException("no cipher suites in common")))
            .isEqualTo("no_shared_cipher");
        assertThat(TlsFailures.reason(new SSLHandshakeException("Received fatal alert: certificate_unknown")))
            .isEqualTo("certificate_rejected");
        assertThat(TlsFailures.reason(new SSLHandshakeException("something new"))).isEqualTo("other");
    }

    @Test
    void everyReasonIsALabelTheMetricsRegister() {
        for (Throwable t : new Throwable[] {new NotSslRecordException(), new SslHandshakeTimeoutException("x"),
            new ClosedChannelException(), new SSLHandshakeException("no cipher suites in common"),
            new SSLHandshakeException("bad_certificate"), new SSLHandshakeException("protocol_version"),
            new RuntimeException("x")}) {
            assertThat(ListenerMetrics.TLS_FAILURE_REASONS).contains(TlsFailures.reason(t));
        }
    }

    @Test
    void theDescriptionIsTheInnermostMessageOnOneLine() {
        assertThat(TlsFailures.describe(new DecoderException(new NotSslRecordException("not an SSL/TLS record:\n4548"))))
            .isEqualTo("not an SSL/TLS record: 4548");
        assertThat(TlsFailures.describe(new ClosedChannelException())).isEqualTo("ClosedChannelException");
    }
}
