package io.smtpsidecar.transport;

import io.smtpsidecar.config.ConfigException;
import io.smtpsidecar.config.ConfigKeys;
import io.smtpsidecar.config.SidecarConfig;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.transport.Transport;

/**
 * The Netty transport for {@code listen.transport}: what the sidecar runs on, and why when {@code auto} could not
 * take epoll. Vert.x itself falls back to NIO silently when a native library does not load; here an explicit
 * {@code epoll} or {@code io_uring} that cannot load is a configuration error instead, and {@code auto}'s fallback
 * is said in the start-up line.
 *
 * @param transport what to build Vert.x with
 * @param name {@code nio}, {@code epoll} or {@code io_uring}: the start-up line and the metric label
 * @param fallback why {@code auto} runs on NIO, or null
 */
public record TransportChoice(Transport transport, String name, String fallback) {

    public static TransportChoice of(SidecarConfig.Transport wanted) {
        return switch (wanted) {
            case NIO -> new TransportChoice(Transport.NIO, "nio", null);
            case EPOLL -> require(Transport.EPOLL, wanted);
            case IO_URING -> require(Transport.IO_URING, wanted);
            case AUTO -> usable(Transport.EPOLL) ? new TransportChoice(Transport.EPOLL, "epoll", null)
                : new TransportChoice(Transport.NIO, "nio", "epoll is not available: " + cause(Transport.EPOLL));
        };
    }

    private static TransportChoice require(Transport transport, SidecarConfig.Transport wanted) {
        if (!usable(transport)) {
            throw new ConfigException(ConfigKeys.LISTEN_TRANSPORT.path(), wanted.label() + " is not available here: "
                + cause(transport) + " (auto or nio run anywhere)");
        }
        return new TransportChoice(transport, wanted.label(), null);
    }

    /** The constants are null when Netty's classes for that transport are not on the class path. */
    private static boolean usable(Transport transport) {
        return transport != null && transport.available();
    }

    private static String cause(Transport transport) {
        if (transport == null) {
            return "its Netty classes are not on the class path";
        }
        Throwable cause = transport.unavailabilityCause();
        return cause == null ? "unknown reason" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    /** The transport a running Vert.x uses: {@code nio}, {@code epoll} or {@code io_uring}. */
    public static String nameOf(Vertx vertx) {
        String impl = ((VertxInternal) vertx).transport().getClass().getSimpleName();
        return impl.startsWith("Epoll") ? "epoll" : impl.startsWith("IoUring") ? "io_uring" : "nio";
    }

    /** For the start-up line: {@code epoll}, or {@code nio (epoll is not available: ...)}. */
    public String describe() {
        return fallback == null ? name : name + " (" + fallback + ")";
    }
}
