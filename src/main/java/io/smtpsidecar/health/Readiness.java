package io.smtpsidecar.health;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What {@code /readyz} reports: the listener is up, the process is not draining, and the backend accepted a TCP
 * connection (a session's or the probe's) recently. Written from event loops, read by the HTTP handler.
 */
public final class Readiness {
    private volatile boolean listening;
    private volatile boolean draining;
    private final AtomicLong backendAcceptedAt = new AtomicLong(Long.MIN_VALUE);

    public void listening() {
        listening = true;
    }

    public void draining() {
        draining = true;
    }

    public boolean isDraining() {
        return draining;
    }

    public void backendAccepted() {
        backendAcceptedAt.set(System.nanoTime());
    }

    /** Null when ready, else a one-line reason. */
    public String notReadyReason(Duration backendWindow) {
        if (draining) {
            return "draining: shutting down";
        }
        if (!listening) {
            return "not listening yet";
        }
        long at = backendAcceptedAt.get();
        if (at == Long.MIN_VALUE) {
            return "backend has not accepted a connection yet";
        }
        long age = System.nanoTime() - at;
        if (age > backendWindow.toNanos()) {
            return "backend has not accepted a connection for " + age / 1_000_000 + "ms";
        }
        return null;
    }
}
