package io.smtpsidecar.transport;

/** What a socket error says, in the system's words, whichever transport raised it. */
public final class SocketErrors {
    private static final String NATIVE_CALL = "(..) failed";

    private SocketErrors() {
    }

    /**
     * The message without a native transport's call prefix: Netty's epoll and io_uring channels report
     * {@code recvAddress(..) failed with error(-104): Connection reset by peer} or
     * {@code bind(..) failed: Address already in use} where NIO says {@code Connection reset} or
     * {@code Address already in use}.
     */
    public static String text(Throwable error) {
        String message = error.getMessage();
        if (message == null || message.isBlank()) {
            return error.getClass().getSimpleName();
        }
        int call = message.indexOf(NATIVE_CALL);
        int colon = call < 0 ? -1 : message.indexOf(": ", call);
        return (colon < 0 ? message : message.substring(colon + 2)).strip();
    }
}
