package io.smtpsidecar.session;

import io.smtpsidecar.health.Readiness;
import io.smtpsidecar.limits.ClientLimits;
import io.smtpsidecar.metrics.SidecarMetrics;

/** Process-wide state the sessions of every event loop share; each part is thread-safe. */
public record SidecarServices(SidecarMetrics metrics, ClientLimits limits, Readiness readiness) {
}
