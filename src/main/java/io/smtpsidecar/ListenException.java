package io.smtpsidecar;

/**
 * A listener that could not open its port, named by its configuration key: the operator's fix is there, and the
 * transport's own exception (a {@code BindException}, or Netty's native one) names neither key nor address.
 */
public final class ListenException extends RuntimeException {
    public ListenException(String key, String host, int port, Throwable cause) {
        super("cannot listen on " + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + " (" + key + "): "
            + reason(cause), cause);
    }

    /** The system's words: "Address already in use", after "bind(..) failed: " with a native transport. */
    private static String reason(Throwable cause) {
        String message = cause.getMessage();
        if (message == null || message.isBlank()) {
            return cause.getClass().getSimpleName();
        }
        String last = message.substring(message.lastIndexOf(": ") + 1).strip();
        String text = last.isEmpty() ? message.strip() : last;
        return Character.toLowerCase(text.charAt(0)) + text.substring(1);
    }
}
