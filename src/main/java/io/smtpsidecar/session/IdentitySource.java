package io.smtpsidecar.session;

/** How the session's client identity was obtained: the log's {@code P=} field. */
public enum IdentitySource {
    PROXY_V1("proxy-v1"),
    PROXY_V2("proxy-v2"),
    /** v1 UNKNOWN or v2 LOCAL from a required peer: the socket peer is kept (health checks). */
    LOCAL("local"),
    /** Unlisted peer, or a required peer whose header failed. */
    DIRECT("direct");

    private final String label;

    IdentitySource(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
