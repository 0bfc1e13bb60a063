package io.smtpsidecar;

import io.smtpsidecar.transport.SocketErrors;

/**
 * A listener that could not open its port, named by its configuration key: the operator's fix is there, and the
 * transport's own exception (a {@code BindException}, or Netty's native one) names neither key nor address.
 */
public final class ListenException extends RuntimeException {
    public ListenException(String key, String host, int port, Throwable cause) {
        super("cannot listen on " + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + " (" + key + "): "
            + reason(cause), cause);
    }

    /** The system's words, lower-cased to follow the colon: "address already in use". */
    private static String reason(Throwable cause) {
        String text = SocketErrors.text(cause);
        return Character.toLowerCase(text.charAt(0)) + text.substring(1);
    }
}
