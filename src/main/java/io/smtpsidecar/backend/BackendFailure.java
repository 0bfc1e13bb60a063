package io.smtpsidecar.backend;

/**
 * Why the backend could not take a session; the client gets a 421 either way. {@code reason} is a fixed tag
 * (connect, timeout, greeting, no_xclient, xclient_rejected), {@code detail} what the backend did.
 */
public final class BackendFailure extends RuntimeException {
    private final String reason;

    public BackendFailure(String reason, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
    }

    /** The metric label: connect, timeout, greeting, no_xclient or xclient_rejected. */
    public String reason() {
        return reason;
    }

    /**
     * For the log: {@code xclient_rejected: 550 5.7.0 Error: insufficient authorization}. The tag is the prefix, so
     * a detail never starts with it again.
     */
    public String describe() {
        return reason + ": " + getMessage();
    }
}
