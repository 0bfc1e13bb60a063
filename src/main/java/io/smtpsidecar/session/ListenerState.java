package io.smtpsidecar.session;

import io.smtpsidecar.limits.ClientLimits;
import io.smtpsidecar.metrics.ListenerMetrics;
import io.smtpsidecar.tls.ServerTls;

/**
 * What the sessions of one listener share across event loops: its meters, its client limits (counted per
 * listener) and, with {@code tls: terminate}, its certificate.
 *
 * @param tls the server TLS of a terminating listener, else null
 */
public record ListenerState(String name, ListenerMetrics metrics, ClientLimits limits, ServerTls tls) {
}
