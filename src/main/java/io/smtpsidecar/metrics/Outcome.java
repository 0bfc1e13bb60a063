package io.smtpsidecar.metrics;

/** How a session ended; the names are the log words and the {@code outcome} label of the connection metrics. */
public enum Outcome {
    FORWARDED("forwarded"),
    REFUSED_TIMEOUT("refused_timeout"),
    REFUSED_MALFORMED("refused_malformed"),
    SYNC_ERROR("sync_error"),
    BACKEND_UNAVAILABLE("backend_unavailable"),
    LIMITED("limited"),
    /** tls terminate: the TLS handshake failed (not TLS, no common protocol or cipher, timeout). */
    TLS_FAILED("tls_failed"),
    CLOSED_EARLY("closed_early");

    private final String label;

    Outcome(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
