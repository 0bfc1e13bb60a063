package io.smtpsidecar.smtp;

/** The backend sent bytes that are not a well-formed SMTP reply, or a reply beyond the configured limits. */
public final class SmtpProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    public SmtpProtocolException(String message) {
        super(message);
    }
}
