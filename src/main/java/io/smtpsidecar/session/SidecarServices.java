package io.smtpsidecar.session;

import io.smtpsidecar.health.Readiness;
import io.smtpsidecar.metrics.SidecarMetrics;

/** Process-wide state the sessions of every event loop and listener share; each part is thread-safe. */
public record SidecarServices(SidecarMetrics metrics, Readiness readiness) {
}
